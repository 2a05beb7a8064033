"""Reads of macros, always through helpdesk.tenancy: another site's macro is a 404, customers see none.

Editing follows the knowledge base's rule (knowledge.selectors.can_edit_article): a site's macros are
edited by the staff covering that site, global macros by admins only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from helpdesk.models import Site, User
from helpdesk.tenancy import can_see_site, scope_to_site, scope_to_user, visible_sites
from macros.models import Macro, MacroUse
from macros.placeholders import fill, placeholder_values
from retrieval.selectors import similar_cases
from retrieval.types import SourceType
from tickets.models import Ticket
from tickets.selectors import ticket_text

SUGGESTED = 3
# Similar past tickets whose macros are counted: more than a panel shows, so a macro used a few times on
# near neighbours still surfaces.
SIMILAR_POOL = 20


def macros_for_user(user: User, *, site: Site | None = None) -> QuerySet[Macro]:
    """Macros a staff member may see: their sites' and the global ones. Customers see none."""
    if not user.is_authenticated or not user.is_staff_member:
        return Macro.objects.none()
    macros = scope_to_user(Macro.objects.select_related("site", "set_category"), user, shared=True)
    if site is not None:
        macros = scope_to_site(macros, site, shared=True)
    return macros.order_by("name", "pk")


def macro_get_for_user(user: User, pk: int) -> Macro:
    macro = macros_for_user(user).filter(pk=pk).first()
    if macro is None:
        raise Http404("No macro matches the given query.")
    return macro


def macros_for_ticket(*, ticket: Ticket, user: User) -> QuerySet[Macro]:
    """The active macros `user` may apply on `ticket`: its site's and the global ones."""
    return macros_for_user(user, site=ticket.site).filter(is_active=True)


def can_edit_macro(user: User, macro: Macro) -> bool:
    """Staff edit the macros of the sites they cover; global macros (no site) belong to admins."""
    if not user.is_staff_member:
        return False
    if macro.site_id is None:
        return user.is_helpdesk_admin
    return can_see_site(user, macro.site_id)


def editable_sites(user: User) -> QuerySet[Site]:
    """Sites a user may write macros for (global macros additionally need an admin)."""
    return visible_sites(user) if user.is_staff_member else Site.objects.none()


def macro_preview(*, macro: Macro, ticket: Ticket, engineer: User) -> str:
    return fill(macro.body, placeholder_values(ticket=ticket, engineer=engineer))


@dataclass(frozen=True)
class Suggestion:
    macro: Macro
    tickets: int  # similar past tickets the macro was applied to
    score: float

    @property
    def reason(self) -> str:
        return f"used on {self.tickets} similar ticket{'' if self.tickets == 1 else 's'}"


def macro_suggestions(*, ticket: Ticket, user: User, limit: int = SUGGESTED) -> list[Suggestion]:
    """The macros applied on this ticket's similar past tickets (same site), best first: each similar
    ticket counts 1/rank for every macro used on it, so the nearest cases weigh most."""
    usable = macros_for_ticket(ticket=ticket, user=user)
    used = MacroUse.objects.filter(site_id=ticket.site_id, macro__in=usable).exclude(ticket=ticket)
    if not used.exists():  # nothing to learn from: spare the page a search
        return []
    cases = similar_cases(
        site=ticket.site_id,
        text=ticket_text(ticket),
        k=SIMILAR_POOL + 1,
        sources=[SourceType.TICKET],
        with_global=False,
    )
    ranked = [
        case.source_id
        for case in cases
        if case.related and case.site_id == ticket.site_id and case.source_id != ticket.pk
    ][:SIMILAR_POOL]
    weight = {ticket_id: 1.0 / rank for rank, ticket_id in enumerate(ranked, start=1)}
    tickets_per_macro: dict[int, set[int]] = defaultdict(set)
    for macro_id, ticket_id in used.filter(ticket_id__in=ranked).values_list("macro_id", "ticket_id"):
        tickets_per_macro[macro_id].add(ticket_id)
    macros = usable.in_bulk(tickets_per_macro)
    suggestions = [
        Suggestion(
            macro=macros[macro_id],
            tickets=len(ticket_ids),
            score=sum(weight[ticket_id] for ticket_id in ticket_ids),
        )
        for macro_id, ticket_ids in tickets_per_macro.items()
        if macro_id in macros
    ]
    suggestions.sort(key=lambda s: (-s.score, -s.tickets, s.macro.name, s.macro.pk))
    return suggestions[:limit]
