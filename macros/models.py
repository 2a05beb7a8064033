"""Macros (canned replies): a reply with placeholders plus optional field changes, for one site or global.

A macro with no site is global: every engineer may apply it, only admins edit it. Each application is a
MacroUse, which is also what the ticket page's suggestions learn from (macros.selectors).
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from helpdesk.models import Site
from tickets.models import Category, Comment, Priority, Ticket, TicketState

# States a macro may move a ticket to: "assigned" needs an assignee and "new" is only where tickets start.
MACRO_STATES = [
    (state.value, state.label)
    for state in TicketState
    if state not in (TicketState.NEW, TicketState.ASSIGNED)
]


class Macro(models.Model):
    site = models.ForeignKey(
        Site,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
        help_text="Empty for a global macro (every site; admins edit it)",
    )
    name = models.CharField(max_length=120)
    body = models.TextField(
        blank=True, help_text="The reply, with placeholders such as {requester_first_name}"
    )
    is_internal = models.BooleanField(default=False, help_text="Post the text as an internal note")
    set_state = models.CharField(max_length=24, choices=MACRO_STATES, blank=True)
    set_category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL)
    set_priority = models.CharField(max_length=10, choices=Priority.choices, blank=True)
    add_tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    is_active = models.BooleanField(default=True, help_text="Inactive macros are not offered on tickets")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.site or 'global'})"


class MacroUse(models.Model):
    """One application of a macro to a ticket: who, when, which ticket, and the comment it posted."""

    macro = models.ForeignKey(Macro, on_delete=models.CASCADE, related_name="uses")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="macro_uses")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["site", "ticket"])]

    def __str__(self) -> str:
        return f"{self.macro_id} on ticket {self.ticket_id}"
