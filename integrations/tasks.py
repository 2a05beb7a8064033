"""django-q2 entry points of the integrations app: they take ids and are safe to run twice."""

from integrations.services import idempotency_keys_purge, webhook_delivery_send


def webhook_deliver(delivery_id: int) -> str | None:
    delivery = webhook_delivery_send(delivery_id=delivery_id)
    return delivery.status if delivery else None


def idempotency_keys_prune() -> int:
    """Forget Idempotency-Keys older than a day (schedule: hourly)."""
    return idempotency_keys_purge()
