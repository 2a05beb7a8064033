"""`manage.py mail_in`: read the support mailbox once and file what it holds (docs/email-in.md).

The worker runs the same read every minute (`integrations.tasks.mail_in_fetch`); the command is for a
cron job without workers, a first import, or a local Maildir/mbox.
"""

from __future__ import annotations

import imaplib
import mailbox

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations.services import mailbox_fetch


class Command(BaseCommand):
    help = "Read the support mailbox once: new mail opens tickets, replies become comments."

    def add_arguments(self, parser):
        parser.add_argument(
            "--source",
            help="maildir:/path, mbox:/path or imaps://user:password@host/INBOX (default MAIL_IN_SOURCE).",
        )

    def handle(self, *args, **options):
        source = options["source"] or settings.MAIL_IN_SOURCE
        if not source:
            raise CommandError("No mailbox to read: set MAIL_IN_SOURCE or pass --source.")
        try:
            outcome = mailbox_fetch(source=source)
        except (OSError, ValueError, imaplib.IMAP4.error, mailbox.Error) as error:
            raise CommandError(f"The mailbox could not be read: {error}") from error
        summary = ", ".join(f"{count} {status}" for status, count in sorted(outcome.items()))
        self.stdout.write(f"Read {sum(outcome.values())} messages: {summary or 'none'}.")
