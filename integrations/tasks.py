"""django-q2 entry points of the integrations app: they take ids and are safe to run twice."""

from django.conf import settings

from integrations.services import idempotency_keys_purge, mailbox_fetch, webhook_delivery_send


def webhook_deliver(delivery_id: int) -> str | None:
    delivery = webhook_delivery_send(delivery_id=delivery_id)
    return delivery.status if delivery else None


def idempotency_keys_prune() -> int:
    """Forget Idempotency-Keys older than a day (schedule: hourly)."""
    return idempotency_keys_purge()


def mail_in_fetch() -> dict[str, int]:
    """Read the support mailbox (MAIL_IN_SOURCE); safe to run twice, as every message is filed once."""
    if not settings.MAIL_IN_SOURCE:
        return {}
    return dict(mailbox_fetch(source=settings.MAIL_IN_SOURCE))
