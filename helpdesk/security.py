"""Security headers every response carries: a Content-Security-Policy with a per-request nonce and a
Permissions-Policy. Django's SecurityMiddleware already sends Referrer-Policy (same-origin),
Cross-Origin-Opener-Policy, nosniff and HSTS in production; frame denial is X_FRAME_OPTIONS=DENY.

Pages load Bootstrap and our CSS/JS from /static/ only, so the policy allows 'self' and nothing else.
An inline <script> or <style> element runs only with `nonce="{{ request.csp_nonce }}"`; inline `style=`
attributes and `on...=` handlers are never allowed (a nonce cannot cover them): use classes and
addEventListener in a static file instead. Bootstrap's own icons are data: SVGs, hence `img-src data:`.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin

NONCE_PLACEHOLDER = "{nonce}"

DEFAULT_CSP_DIRECTIVES: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self' 'nonce-{nonce}'",
    "style-src": "'self' 'nonce-{nonce}'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    # 'self' covers same-origin fetch, EventSource and WebSocket (ws/wss on the same host, CSP level 3).
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def content_security_policy(nonce: str) -> str:
    directives = {**DEFAULT_CSP_DIRECTIVES, **settings.CSP_DIRECTIVES}
    parts = (f"{name} {value.replace(NONCE_PLACEHOLDER, nonce)}" for name, value in directives.items())
    return "; ".join(parts)


class SecurityHeadersMiddleware(MiddlewareMixin):
    """Sets request.csp_nonce for templates and the security headers on the response.

    MiddlewareMixin keeps it usable both in sync and async stacks (uvicorn serves ASGI).
    """

    def process_request(self, request: HttpRequest) -> None:
        request.csp_nonce = secrets.token_urlsafe(18)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        nonce = getattr(request, "csp_nonce", None) or secrets.token_urlsafe(18)
        header = (
            "Content-Security-Policy-Report-Only" if settings.CSP_REPORT_ONLY else "Content-Security-Policy"
        )
        response.headers.setdefault(header, content_security_policy(nonce))
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def body_too_large_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024
    return f"The request body is too large: at most {limit:g} MB."


class NulInQuery(SuspiciousOperation):
    """A page's query string holds a NUL character; answered by helpdesk.views.bad_request."""


class NulQueryMiddleware(MiddlewareMixin):
    """Pages refuse a query string holding a NUL character with a 400 that says so.

    PostgreSQL cannot store NUL in text, so any search box or filter that passes one on would fail
    inside the database (a 500). Refusing here covers every page, the admin's included. The API, under
    /api/, refuses them itself as field errors in its own error shape (config/api.py).
    """

    def process_request(self, request: HttpRequest) -> None:
        if request.path_info.startswith("/api/"):
            return
        if any("\x00" in text for key, values in request.GET.lists() for text in (key, *values)):
            raise NulInQuery(
                "This address contains a NUL character (%00), which no search or filter accepts. "
                "Remove it and try again."
            )
