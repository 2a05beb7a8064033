"""NOTIFY chat_feed '<conversation id>' whenever a message is written or a conversation's row changes.

A trigger rather than `on_commit` in chat/services.py: it fires for every writer (web, the django-q
worker answering orphans, a shell, a bulk load) and PostgreSQL delivers the notification at commit,
after the rows are visible, never for a rolled-back write; identical notifications of one transaction
(a message and its conversation's `last_seq`) are folded into one.
"""

from django.db import migrations

NOTIFY = """
CREATE FUNCTION chat_feed_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'chat_message' THEN
        PERFORM pg_notify('chat_feed', NEW.conversation_id::text);
    ELSE
        PERFORM pg_notify('chat_feed', NEW.id::text);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER chat_message_feed_notify AFTER INSERT OR UPDATE ON chat_message
    FOR EACH ROW EXECUTE FUNCTION chat_feed_notify();
CREATE TRIGGER chat_conversation_feed_notify AFTER UPDATE ON chat_conversation
    FOR EACH ROW EXECUTE FUNCTION chat_feed_notify();
"""

DROP = """
DROP TRIGGER IF EXISTS chat_conversation_feed_notify ON chat_conversation;
DROP TRIGGER IF EXISTS chat_message_feed_notify ON chat_message;
DROP FUNCTION IF EXISTS chat_feed_notify();
"""


class Migration(migrations.Migration):
    dependencies = [("chat", "0008_conversation_summary")]

    operations = [migrations.RunSQL(NOTIFY, DROP)]
