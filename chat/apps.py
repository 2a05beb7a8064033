from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"

    def ready(self) -> None:
        from chat.selectors import (
            cited_conversations,
            conversation_training_examples,
            conversations_categorized_since,
            requester_conversations,
            ticket_customer_words,
        )
        from chat.services import ticket_category_changed_received
        from retrieval.citations import register_cited_source
        from retrieval.types import SourceType
        from tickets.selectors import register_requester_history, register_requester_words
        from tickets.signals import ticket_category_changed
        from tickets.training import register_example_source

        register_cited_source(SourceType.TRANSCRIPT, cited_conversations)
        # Tickets may not import chat: what a ticket needs of its chats is handed down from here.
        register_requester_words(ticket_customer_words)
        register_requester_history(requester_conversations)
        register_example_source(
            "conversations",
            examples=conversation_training_examples,
            changed_since=conversations_categorized_since,
        )
        ticket_category_changed.connect(
            ticket_category_changed_received, dispatch_uid="chat.conversations_category_from_ticket"
        )
