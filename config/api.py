"""The one NinjaAPI of the project, at /api/v1/; each app contributes its Router.

Authentication and errors are decided here once, for every router: the default `auth=` accepts bearer
API tokens (personal or site service) and the browser session with CSRF; every error leaves as
`{"detail": "...", "errors": [{"loc": [...], "msg": "...", "type": "..."}]}`.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.parser import Parser

from ai.base import AIUnavailable
from chat.api import router as chat_router
from helpdesk.ratelimit import RateLimited
from helpdesk.security import body_too_large_message
from integrations import idempotency
from integrations.api import integrations_router, me_router, sites_router, tokens_router
from integrations.auth import api_auth
from integrations.services import IdempotencyKeyReused
from knowledge.api import router as knowledge_router
from macros.api import router as macros_router
from retrieval.api import router as retrieval_router
from tickets.api import router as tickets_router
from tickets.errors import (
    ActionNotAllowed,
    AttachmentRejected,
    InvalidTransition,
    ReviewNotAllowed,
    TicketError,
)

logger = logging.getLogger(__name__)

# Documented on every operation, so clients (and the contract fuzz) know what an error looks like.
ERROR_STATUSES = {
    "400": "Malformed request (e.g. a body that is not JSON)",
    "401": "Missing, invalid, expired or revoked credentials",
    "403": "Authenticated, but this action is not allowed for your role (or the CSRF token is missing)",
    "404": "No such object in the sites you can see (other sites' objects are 404 too, never 403)",
    "409": "The object's current state does not allow this (e.g. an illegal ticket transition)",
    "422": "The payload or parameters failed validation; `errors` lists each field",
    "413": "The request body is larger than the server accepts (DATA_UPLOAD_MAX_MEMORY_SIZE)",
    "429": "Rate limited; retry after the number of seconds in the Retry-After header",
}
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["detail", "errors"],
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}


def _nul_errors(value, loc: list) -> list[dict]:
    if isinstance(value, str):
        return (
            [{"loc": loc, "msg": "Text may not contain NUL characters.", "type": "string_nul"}]
            if "\x00" in value
            else []
        )
    if isinstance(value, dict):
        return [error for key, item in value.items() for error in _nul_errors(item, [*loc, str(key)])]
    if isinstance(value, list):
        return [error for index, item in enumerate(value) for error in _nul_errors(item, [*loc, index])]
    return []


class HelpdeskParser(Parser):
    """JSON and form input, refusing NUL characters up front: PostgreSQL cannot store them in text, so
    they would otherwise surface as a database error (a 500) deep inside some service."""

    def parse_body(self, request: HttpRequest):
        data = super().parse_body(request)
        if errors := _nul_errors(data, ["body"]):
            raise ValidationError(errors)
        return data

    def parse_querydict(self, data, list_fields, request: HttpRequest):
        result = super().parse_querydict(data, list_fields, request)
        if errors := _nul_errors(result, ["query" if data is request.GET else "form"]):
            raise ValidationError(errors)
        return result


# Operation ids are the method names of generated clients: they keep the module an endpoint was
# published from, so moving the code does not rename a client's calls.
PUBLISHED_MODULES = {"integrations.api": "helpdesk.integrations.api"}


class HelpdeskAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        module = operation.view_func.__module__
        return f"{PUBLISHED_MODULES.get(module, module)}_{operation.view_func.__name__}".replace(".", "_")

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        error_ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for path_item in schema["paths"].values():
            for operation in path_item.values():
                # ninja keys responses by int, OpenAPI by string: normalize so JSON export can sort them.
                responses = {str(status): value for status, value in operation.get("responses", {}).items()}
                operation["responses"] = responses
                # Errors have one shape whatever a router declared: they all leave through the handlers below.
                for status, description in ERROR_STATUSES.items():
                    responses[status] = {"description": description, **error_ref}
        idempotency.document_header(schema)
        return schema


api = HelpdeskAPI(
    title="Grounded Helpdesk API",
    version="1",
    description="Tickets, chat, knowledge and retrieval of the grounded helpdesk. See docs/api.md.",
    urls_namespace="api",
    auth=api_auth,
    parser=HelpdeskParser(),
    docs_url="/docs",
)
# Every creating POST accepts an Idempotency-Key (integrations.idempotency).
api.add_decorator(idempotency.in_transaction, mode="view")
api.add_decorator(idempotency.replay_or_claim, mode="operation")


def error_response(
    request: HttpRequest, status: int, detail: str, errors: list[dict] | None = None
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


def _loc(item: dict) -> list:
    loc = [part if isinstance(part, int) else str(part) for part in item.get("loc", ())]
    # ninja puts the body parameter's name after "body" ("payload" in every router): clients only
    # know the JSON they sent, so the location is given within it.
    if loc[:2] == ["body", "payload"]:
        del loc[1]
    return loc


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {
            "loc": _loc(item),
            "msg": str(item.get("msg") or "; ".join(f"{key}: {value}" for key, value in item.items())),
            "type": str(item.get("type", "value_error")),
        }
        for item in exc.errors
    ]
    return error_response(request, 422, "Validation failed.", errors)


@api.exception_handler(DjangoValidationError)
def on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [
            {"loc": ["body", field], "msg": message, "type": "value_error"}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"loc": ["body"], "msg": message, "type": "value_error"} for message in exc.messages]
    return error_response(request, 422, "Validation failed.", errors)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(request, 401, "Authentication required: a valid API token or session.")
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Throttled)
def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = error_response(request, 429, "Too many requests.")
    if exc.wait is not None:
        response["Retry-After"] = str(max(1, int(exc.wait)))
    return response


@api.exception_handler(RateLimited)
def on_rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = error_response(request, 429, str(exc))
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja wraps anything raised while parsing the body in a 400; our parser's refusals are field errors.
    if isinstance(exc.__cause__, ValidationError):
        return on_validation_error(request, exc.__cause__)
    return error_response(request, exc.status_code, str(exc))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    # One message whatever the cause, so "not yours" and "does not exist" cannot be told apart.
    return error_response(request, 404, "Not found.")


api.add_exception_handler(ObjectDoesNotExist, on_not_found)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(request, 403, str(exc) or "You may not do this.")


@api.exception_handler(TicketError)
def on_ticket_error(request: HttpRequest, exc: TicketError) -> HttpResponse:
    # The API fetches tickets through the tenancy helpers first, so these refusals only ever concern a
    # ticket the caller can already see: naming them does not leak another site's existence.
    if isinstance(exc, ActionNotAllowed):
        return error_response(request, 403, str(exc))
    if isinstance(exc, InvalidTransition | ReviewNotAllowed):
        return error_response(request, 409, str(exc))
    kind = "attachment_rejected" if isinstance(exc, AttachmentRejected) else "value_error"
    field = "file" if isinstance(exc, AttachmentRejected) else "__all__"
    return error_response(request, 422, str(exc), [{"loc": ["body", field], "msg": str(exc), "type": kind}])


@api.exception_handler(IdempotencyKeyReused)
def on_idempotency_key_reused(request: HttpRequest, exc: IdempotencyKeyReused) -> HttpResponse:
    error = {"loc": ["header", "Idempotency-Key"], "msg": str(exc), "type": "idempotency_key_reused"}
    return error_response(request, 422, str(exc), [error])


@api.exception_handler(AIUnavailable)
def on_ai_unavailable(request: HttpRequest, exc: AIUnavailable) -> HttpResponse:
    response = error_response(request, 503, "The AI service is unavailable; try again later.")
    response["Retry-After"] = "30"
    return response


@api.exception_handler(RequestDataTooBig)
def on_body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(request, 413, body_too_large_message())


@api.exception_handler(DataError)
def on_data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    # The last line of defence for values the schemas let through but PostgreSQL refuses (an integer
    # beyond bigint, a time zone offset it cannot store): the client sent them, so it is a 422.
    logger.warning("Database refused a value on %s %s: %s", request.method, request.path, exc)
    return error_response(request, 422, "A value is outside what the database can store.")


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled API error on %s %s", request.method, request.path)
    return error_response(request, 500, "Internal server error.")


api.add_router("/tickets", tickets_router)
api.add_router("/knowledge", knowledge_router)
api.add_router("/retrieval", retrieval_router)
api.add_router("/chat", chat_router)
api.add_router("/macros", macros_router)
api.add_router("/me", me_router)
api.add_router("/sites", sites_router)
api.add_router("/tokens", tokens_router)
api.add_router("/integrations", integrations_router)
