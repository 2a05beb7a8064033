"""Authentication for the API, shared by every router through the NinjaAPI default `auth=`.

Bearer tokens are tried first so that a script never trips over the browser's CSRF check; the
session is accepted only with a valid CSRF token, as for any other browser form.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from helpdesk.models import Site, User
from helpdesk.tenancy import visible_sites
from integrations.models import ApiToken
from integrations.selectors import api_token_for_bearer
from integrations.services import api_token_touch


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer hdk_<prefix>_<secret>`: personal tokens and site service tokens."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        api_token = api_token_for_bearer(token)
        if api_token is None:
            return None
        api_token_touch(token=api_token)
        # Code that reads request.user (tenancy helpers, services) sees the token's user too.
        request.user = api_token.user
        request.api_token = api_token
        return api_token.user


class SessionCsrfAuth(APIKeyCookie):
    """The browser's Django session; unsafe methods need the CSRF token (X-CSRFToken header)."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a logged-in session there is nothing to protect: answer 401, not a CSRF 403.
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        return request.user if key and request.user.is_authenticated else None


api_auth = [ApiTokenAuth(), SessionCsrfAuth()]


@dataclass(frozen=True)
class Actor:
    """Who is calling and through what: the user (a person, or a service token's integration user)."""

    user: User
    token: ApiToken | None

    @property
    def is_service(self) -> bool:
        return self.token is not None and self.token.kind == ApiToken.Kind.SERVICE

    @property
    def sites(self) -> QuerySet[Site]:
        """The sites this caller may see, decided by helpdesk.tenancy like everywhere else."""
        return visible_sites(self.user)


def api_actor(request: HttpRequest) -> Actor:
    """The acting user of an authenticated API request and the token used, if any."""
    return Actor(user=request.auth, token=getattr(request, "api_token", None))
