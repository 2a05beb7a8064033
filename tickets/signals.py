"""What tickets tell the rooms above them, so that tickets never imports them (integrations' webhooks,
chat's conversation categories).

`ticket_changed` is sent by the ticket services inside their transaction, once the ticket is saved, with
`ticket` (the saved instance) and `event` ("ticket.created", "ticket.updated" or "ticket.resolved"). It is
sent with `send`, not `send_robust`: a receiver's rows belong to the write, so a receiver that fails rolls
the write back, and a write that rolls back takes the receivers' rows with it. Receivers queue outside work
with transaction.on_commit.

`ticket_category_changed` is sent the same way by `ticket_update` when a ticket's category changed, with
`ticket`; chat gives the new category to the conversations the ticket came from.
"""

from django.dispatch import Signal

ticket_changed = Signal()
ticket_category_changed = Signal()
