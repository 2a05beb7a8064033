"""django-q2 entry points of the integrations app: they take ids and are safe to run twice."""

from helpdesk.integrations.services import webhook_delivery_send


def webhook_deliver(delivery_id: int) -> str | None:
    delivery = webhook_delivery_send(delivery_id=delivery_id)
    return delivery.status if delivery else None
