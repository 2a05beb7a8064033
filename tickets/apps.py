from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self) -> None:
        from retrieval.citations import register_cited_source
        from retrieval.types import SourceType
        from tickets.selectors import cited_tickets

        register_cited_source(SourceType.TICKET, cited_tickets)
