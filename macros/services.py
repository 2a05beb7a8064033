"""Writes of macros: create and edit them, and apply one to a ticket.

Applying goes through the tickets services (ticket_update, comment_create, ticket_transition), so the
permission checks, audit events, webhooks and notifications are exactly those of doing it by hand; the
whole application is one transaction with its MacroUse row, so a refused step leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from helpdesk.models import Site, User
from macros.models import MACRO_STATES, Macro, MacroUse
from macros.placeholders import PLACEHOLDERS, fill, placeholder_values, unknown_placeholders
from macros.selectors import can_edit_macro, editable_sites
from tickets import services as ticket_services
from tickets.errors import ActionNotAllowed
from tickets.lifecycle import STAFF_ROLES, actor_roles
from tickets.models import Category, Comment, Ticket, TicketState

FIELDS = ("name", "body", "is_internal", "set_state", "set_category", "set_priority", "add_tags", "is_active")


def unknown_placeholder_message(names: list[str]) -> str:
    known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    braces = ", ".join(f"{{{name}}}" for name in names)
    return f"Unknown placeholder {braces}: use one of {known}."


def _clean(*, name: str, body: str, set_state: str, add_tags: Iterable[str], **changes) -> dict:
    name, body = name.strip(), body.strip()
    if not name:
        raise ValidationError({"name": "Give the macro a name."})
    if unknown := unknown_placeholders(body):
        raise ValidationError({"body": unknown_placeholder_message(unknown)})
    if set_state and set_state not in dict(MACRO_STATES):
        raise ValidationError({"set_state": "A macro cannot move a ticket to that state."})
    tags = sorted({tag.strip().lower() for tag in add_tags if tag.strip()})
    if not body and not (set_state or changes.get("set_category") or changes.get("set_priority") or tags):
        raise ValidationError("A macro needs a reply text or at least one field change.")
    return {"name": name, "body": body, "set_state": set_state, "add_tags": tags, **changes}


@transaction.atomic
def macro_create(
    *,
    author: User,
    site: Site | None,
    name: str,
    body: str = "",
    is_internal: bool = False,
    set_state: str = "",
    set_category: Category | None = None,
    set_priority: str = "",
    add_tags: Iterable[str] = (),
    is_active: bool = True,
) -> Macro:
    """A macro of `site`, or global (`site=None`, admins only)."""
    allowed = author.is_helpdesk_admin if site is None else editable_sites(author).filter(pk=site.pk).exists()
    if not allowed:
        raise PermissionDenied("Only admins write global macros; engineers write macros for their sites.")
    data = _clean(
        name=name,
        body=body,
        is_internal=is_internal,
        set_state=set_state,
        set_category=set_category,
        set_priority=set_priority,
        add_tags=add_tags,
        is_active=is_active,
    )
    return Macro.objects.create(site=site, created_by=author, **data)


@transaction.atomic
def macro_update(*, macro: Macro, actor: User, **fields) -> Macro:
    """Change a macro's text or changes (never its site: that would be another macro)."""
    if unknown := set(fields) - set(FIELDS):
        raise TypeError(f"macro_update cannot change {', '.join(sorted(unknown))}")
    if not can_edit_macro(actor, macro):
        raise PermissionDenied("Only admins edit global macros.")
    current = {field: getattr(macro, field) for field in FIELDS}
    data = _clean(**{**current, **fields})
    for field, value in data.items():
        setattr(macro, field, value)
    macro.save()
    return macro


@transaction.atomic
def macro_apply(*, macro: Macro, ticket: Ticket, actor: User) -> MacroUse:
    """Apply `macro` to `ticket` as `actor`: field changes, then the reply (or note), then the state."""
    if not actor_roles(ticket, actor) & STAFF_ROLES:
        raise ActionNotAllowed("Only engineers covering this site can apply macros to its tickets.")
    if not macro.is_active:
        raise ActionNotAllowed("This macro is inactive.")
    if macro.site_id is not None and macro.site_id != ticket.site_id:
        raise ActionNotAllowed("This macro belongs to another site.")
    changes = {}
    if macro.set_category_id:
        changes["category"] = macro.set_category
    if macro.set_priority:
        changes["priority"] = macro.set_priority
    if macro.add_tags:
        changes["tags"] = [*ticket.tags, *macro.add_tags]
    if changes:
        ticket = ticket_services.ticket_update(ticket=ticket, actor=actor, **changes)
    text = fill(macro.body, placeholder_values(ticket=ticket, engineer=actor)).strip()
    comment: Comment | None = None
    if text:
        comment = ticket_services.comment_create(
            ticket=ticket, author=actor, body=text, is_internal=macro.is_internal
        )
    if macro.set_state and macro.set_state != ticket.state:
        # A resolution note is shown to the customer: an internal note's text never becomes one. Any
        # other move says in the timeline which macro made it.
        if macro.set_state == TicketState.RESOLVED:
            note = macro.name if macro.is_internal or not text else text
        else:
            note = f"Applied the macro “{macro.name}”"
        ticket = ticket_services.ticket_transition(
            ticket=ticket, to_state=macro.set_state, actor=actor, note=note
        )
    return MacroUse.objects.create(
        macro=macro, ticket=ticket, site_id=ticket.site_id, used_by=actor, comment=comment
    )
