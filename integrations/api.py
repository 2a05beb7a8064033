"""Sites, the caller's identity, personal API tokens, and (for admins) service tokens and webhooks."""

from datetime import UTC

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from helpdesk.tenancy import access_site
from integrations import selectors, services
from integrations.auth import Actor, api_actor
from integrations.schemas import (
    MeOut,
    ServiceTokenIn,
    SiteIn,
    SiteOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    WebhookCreatedOut,
    WebhookDeliveryOut,
    WebhookIn,
    WebhookOut,
)

sites_router = Router(tags=["sites"])
me_router = Router(tags=["tokens"])
tokens_router = Router(tags=["tokens"])
integrations_router = Router(tags=["integrations"])


def _admin(request: HttpRequest) -> Actor:
    actor = api_actor(request)
    if not actor.user.is_helpdesk_admin:
        raise PermissionDenied("Only helpdesk admins may do this.")
    return actor


def _future(value):
    """Expiry must lie ahead; a naive time is read in the server's time zone, and it is stored in UTC."""
    if value is None:
        return None
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        value = value.astimezone(UTC)
    except (OverflowError, ValueError) as error:
        raise DjangoValidationError({"expires_at": ["This time is out of range."]}) from error
    if value <= timezone.now():
        raise DjangoValidationError({"expires_at": ["The expiry must be in the future."]})
    return value


def _created(issued: services.IssuedToken) -> dict:
    return {**TokenOut.from_orm(issued.token).model_dump(), "token": issued.secret}


@me_router.get("", response=MeOut, summary="Who am I: the acting user and the sites they can see")
def me(request: HttpRequest):
    actor = api_actor(request)
    return {
        "id": actor.user.pk,
        "username": actor.user.username,
        "display_name": actor.user.display_name,
        "role": actor.user.role,
        "site_ids": list(actor.sites.values_list("pk", flat=True)),
        "token_kind": actor.token.kind if actor.token else None,
    }


@sites_router.get("", response=list[SiteOut], summary="Sites you can see (all of them for admins)")
def site_list(request: HttpRequest):
    return api_actor(request).sites


@sites_router.get("/{site_id}", response=SiteOut)
def site_detail(request: HttpRequest, site_id: int):
    return access_site(api_actor(request).user, site_id)


@sites_router.post("", response={201: SiteOut}, summary="Register a client site (admins)")
def site_create(request: HttpRequest, payload: SiteIn):
    _admin(request)
    return Status(201, services.site_register(**payload.dict()))


@tokens_router.get("", response=list[TokenOut], summary="Your personal API tokens")
def token_list(request: HttpRequest):
    return selectors.api_tokens_of_user(user=api_actor(request).user)


@tokens_router.post("", response={201: TokenCreatedOut}, summary="Create a personal API token (shown once)")
def token_create(request: HttpRequest, payload: TokenIn):
    actor = api_actor(request)
    if actor.is_service:
        raise PermissionDenied("A service token cannot create tokens.")
    issued = services.api_token_create(
        user=actor.user, name=payload.name, expires_at=_future(payload.expires_at)
    )
    return Status(201, _created(issued))


@tokens_router.delete("/{token_id}", response={204: None}, summary="Revoke one of your tokens")
def token_revoke(request: HttpRequest, token_id: int):
    token = selectors.api_tokens_of_user(user=api_actor(request).user).get(pk=token_id)
    services.api_token_revoke(token=token)
    return Status(204, None)


@integrations_router.get("/service-tokens", response=list[TokenOut], summary="Site service tokens (admins)")
def service_token_list(request: HttpRequest):
    _admin(request)
    return selectors.service_tokens()


@integrations_router.post(
    "/service-tokens", response={201: TokenCreatedOut}, summary="Create a site service token (admins)"
)
def service_token_create(request: HttpRequest, payload: ServiceTokenIn):
    actor = _admin(request)
    site = access_site(actor.user, payload.site_id)
    issued = services.service_token_create(
        site=site,
        name=payload.name,
        created_by=actor.user,
        access=payload.access,
        expires_at=_future(payload.expires_at),
    )
    return Status(201, _created(issued))


@integrations_router.delete("/service-tokens/{token_id}", response={204: None})
def service_token_revoke(request: HttpRequest, token_id: int):
    _admin(request)
    services.api_token_revoke(token=selectors.service_tokens().get(pk=token_id))
    return Status(204, None)


@integrations_router.get("/webhooks", response=list[WebhookOut], summary="Registered webhooks (admins)")
def webhook_list(request: HttpRequest):
    return selectors.webhooks_for_user(user=_admin(request).user)


@integrations_router.post(
    "/webhooks", response={201: WebhookCreatedOut}, summary="Register a webhook (admins)"
)
def webhook_create(request: HttpRequest, payload: WebhookIn):
    actor = _admin(request)
    site = access_site(actor.user, payload.site_id)
    webhook = services.webhook_create(
        site=site,
        url=payload.url,
        events=list(payload.events),
        description=payload.description,
        created_by=actor.user,
    )
    return Status(201, webhook)


@integrations_router.get("/webhooks/{webhook_id}", response=WebhookOut)
def webhook_detail(request: HttpRequest, webhook_id: int):
    return selectors.webhooks_for_user(user=_admin(request).user).get(pk=webhook_id)


@integrations_router.delete("/webhooks/{webhook_id}", response={204: None})
def webhook_delete(request: HttpRequest, webhook_id: int):
    webhook = selectors.webhooks_for_user(user=_admin(request).user).get(pk=webhook_id)
    services.webhook_delete(webhook=webhook)
    return Status(204, None)


@integrations_router.get(
    "/webhooks/{webhook_id}/deliveries",
    response=list[WebhookDeliveryOut],
    summary="Recent deliveries of a webhook with every attempt's response",
)
def webhook_delivery_list(request: HttpRequest, webhook_id: int):
    webhook = selectors.webhooks_for_user(user=_admin(request).user).get(pk=webhook_id)
    return selectors.webhook_deliveries(webhook=webhook)[:100]
