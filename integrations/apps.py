from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save

from tickets.signals import ticket_changed


def revoke_tokens_after_password_change(sender, instance, created, **kwargs) -> None:
    """A saved password change ends the user's personal API tokens.

    A signal, not a call in our views: passwords also change through Django's reset form, the admin and
    `manage.py changepassword`. `_password` holds the new raw password from set_password() until the
    save completes; Django clears it first when it merely re-hashes a password on login.
    """
    if not created and getattr(instance, "_password", None) is not None:
        from integrations.services import api_tokens_revoke_personal

        api_tokens_revoke_personal(user=instance)


def webhooks_on_ticket_changed(sender, ticket, event: str, **kwargs) -> None:
    """Ticket writes tell the site's webhooks (tickets.signals): integrations reads tickets to build the
    payload, so tickets sends a signal rather than importing this room."""
    from integrations.services import webhooks_emit_ticket

    webhooks_emit_ticket(ticket=ticket, event=event)


class IntegrationsConfig(AppConfig):
    name = "integrations"
    label = "integrations"
    verbose_name = "Integrations: API tokens and webhooks"

    def ready(self) -> None:
        ticket_changed.connect(
            webhooks_on_ticket_changed, dispatch_uid="integrations.webhooks_on_ticket_changed"
        )
        post_save.connect(
            revoke_tokens_after_password_change,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="integrations.revoke_tokens_after_password_change",
        )
