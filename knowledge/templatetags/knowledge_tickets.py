"""`{% ticket_articles ticket %}`: the KB articles published from drafts a ticket was part of, as links on
the engineer's ticket page (tickets may not import knowledge, so knowledge renders them)."""

from django import template

from knowledge.selectors import articles_for_ticket

register = template.Library()


@register.inclusion_tag("knowledge/_ticket_articles.html")
def ticket_articles(ticket) -> dict:
    return {"articles": list(articles_for_ticket(ticket.pk))}
