"""`Idempotency-Key` on every creating POST of the API (one that answers 201), installed once on the NinjaAPI.

Two hooks, because ninja knows the caller only after authentication: `in_transaction` wraps each whole
operation, so the claimed key, the endpoint's work and the stored answer commit together or not at all;
`replay_or_claim` wraps each creating endpoint, where the caller is known, and answers a retry with the
stored response. The unique constraint on the key decides between concurrent requests, never a check.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import wraps

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from ninja.errors import ValidationError

from integrations.auth import api_actor
from integrations.services import idempotency_key_claim, idempotency_key_complete

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY = re.compile(r"[!-~]{1,255}")  # visible ASCII, as an HTTP header carries it
OPENAPI_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": (
        "A key of your choice (1-255 visible ASCII characters) that makes a retry safe: the same key with "
        "the same request within 24 h creates nothing new and answers the first response again, with "
        f"`{REPLAYED_HEADER}: true`; with a different request it is a 422."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}


def in_transaction(run):
    """Around an operation (ninja "view" mode): one transaction for the key and the work it guards."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.method != "POST" or HEADER not in request.headers:
            return run(request, *args, **kwargs)
        with transaction.atomic():
            response = run(request, *args, **kwargs)
            record = getattr(request, "idempotency_record", None)
            if record is not None:
                idempotency_key_complete(
                    record=record,
                    status_code=response.status_code,
                    content_type=response.get("Content-Type", ""),
                    body=None if response.streaming else response.content.decode(),
                )
        return response

    return wrapper


def replay_or_claim(view_func):
    """Around an endpoint (ninja "operation" mode), for creating POSTs only: replay, or claim the key."""
    operation = view_func._ninja_operation
    if "POST" not in operation.methods or 201 not in operation.response_models:
        return view_func

    @wraps(view_func)
    def wrapper(request: HttpRequest, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view_func(request, *args, **kwargs)
        if not KEY.fullmatch(key):
            raise ValidationError(
                [
                    {
                        "loc": ["header", HEADER],
                        "msg": "An Idempotency-Key is 1 to 255 visible ASCII characters.",
                        "type": "value_error",
                    }
                ]
            )
        actor = api_actor(request)
        record = idempotency_key_claim(
            user=actor.user,
            token=actor.token,
            key=key,
            method=request.method,
            path=request.path,
            fingerprint=_fingerprint(request),
        )
        if record.status_code is not None:
            response = HttpResponse(
                record.response_body, status=record.status_code, content_type=record.content_type
            )
            response[REPLAYED_HEADER] = "true"
            return response
        request.idempotency_record = record
        # A savepoint: an endpoint that raises leaves the transaction usable for giving the key back.
        with transaction.atomic():
            return view_func(request, *args, **kwargs)

    return wrapper


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    try:
        digest.update(request.body)
    except RawPostDataException:
        # An upload was parsed from the stream (it may exceed what Django keeps in memory): hash the result.
        for name, values in sorted(request.POST.lists()):
            digest.update(json.dumps([name, values]).encode())
        for name, uploads in sorted(request.FILES.lists()):
            for upload in uploads:
                digest.update(json.dumps([name, upload.name, upload.size]).encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    return digest.hexdigest()


def document_header(schema: dict) -> None:
    """Declare the header on every creating POST of an OpenAPI schema."""
    for path_item in schema["paths"].values():
        operation = path_item.get("post")
        if operation is not None and "201" in operation["responses"]:
            operation.setdefault("parameters", []).append(OPENAPI_PARAMETER)
