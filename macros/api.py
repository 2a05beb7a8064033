"""Macros over the API, for staff only: list them, read a ticket's suggestions, apply one to a ticket."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Status

from helpdesk.tenancy import access_site
from macros import selectors, services
from macros.schemas import ApplyIn, MacroOut, MacroUseOut, SuggestionOut
from tickets.selectors import ticket_get_for_user

router = Router(tags=["macros"])
MAX_MACROS = 200


def _staff(request: HttpRequest):
    user = request.auth
    if not user.is_staff_member:
        raise PermissionDenied("Only engineers and admins use macros.")
    return user


@router.get("", response=list[MacroOut])
def macro_list(request: HttpRequest, site: int | None = None):
    """The macros the caller may see: their sites' and the global ones (`site` narrows to one site)."""
    user = _staff(request)
    scope = access_site(user, site) if site is not None else None
    return list(selectors.macros_for_user(user, site=scope)[:MAX_MACROS])


@router.get("/tickets/{ticket_id}/suggestions", response=list[SuggestionOut])
def macro_suggestions(request: HttpRequest, ticket_id: int):
    """Up to three macros applied on this ticket's similar past tickets, best first, with the reason."""
    ticket = ticket_get_for_user(user=request.auth, pk=ticket_id)
    user = _staff(request)
    return [
        {"macro": suggestion.macro, "tickets": suggestion.tickets, "reason": suggestion.reason}
        for suggestion in selectors.macro_suggestions(ticket=ticket, user=user)
    ]


@router.post("/{macro_id}/apply", response={201: MacroUseOut})
def macro_apply(request: HttpRequest, macro_id: int, payload: ApplyIn):
    """Apply a macro to a ticket: its field changes, its reply and its state, all or nothing."""
    ticket = ticket_get_for_user(user=request.auth, pk=payload.ticket)
    user = _staff(request)
    macro = selectors.macro_get_for_user(user, macro_id)
    return Status(201, services.macro_apply(macro=macro, ticket=ticket, actor=user))
