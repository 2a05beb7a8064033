"""A contract fuzz: schemathesis generates requests from our own OpenAPI schema and sends them to the real
app (in process, through WSGI) and the real database. No request may cause a 5xx, and every response
must match the schema: its status code, content type, headers and body.

Bounded so it runs in about a minute: FUZZ_EXAMPLES examples per operation (override with the
API_FUZZ_EXAMPLES environment variable for a longer run).
"""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as fuzz_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chat.services import conversation_start
from integrations.services import api_token_create, service_token_create, webhook_create
from knowledge.services import article_create
from testing.openapi import schema
from tickets.services import attachment_add, comment_create, ticket_create

FUZZ_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def quick_password_hashing(settings):
    # The cast's users are made once per operation; nobody here logs in with a password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def in_process():
    """Requests run inside the test's transaction: like Django's test client, keep the per-request
    connection clean-up from closing the connection that transaction lives on."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(in_process, site_a, site_b, customer_a, engineer_a, engineer_b, admin_user, tmp_path, settings):
    """Real rows for the fuzzer to hit: without them almost every generated id would just be a 404."""
    settings.MEDIA_ROOT = tmp_path
    ticket = ticket_create(site=site_a, requester=customer_a, title="Printer jams", description="Floor 2")
    ticket_create(
        site=site_b, requester=engineer_b, title="Mail bounces", description="Since 9", actor=engineer_b
    )
    comment = comment_create(ticket=ticket, author=engineer_a, body="Looking", is_internal=True)
    attachment = attachment_add(
        ticket=ticket, uploaded_by=customer_a, upload=SimpleUploadedFile("a.log", b"x")
    )
    spare_token = api_token_create(user=admin_user, name="spare").token
    service_token_create(site=site_a, name="RMM", created_by=admin_user)
    conversation, _ = conversation_start(site=site_a, customer=customer_a, body="My VPN drops every hour")
    article = article_create(site=site_a, author=engineer_a, title="Printer jams", body="Open tray 2.")
    webhook = webhook_create(
        site=site_a, url="https://hooks.example/in", events=["ticket.created"], created_by=admin_user
    )
    return {
        "ids": {
            "ticket_id": ticket.pk,
            "attachment_id": attachment.pk,
            "comment_id": comment.pk,
            "site_id": site_a.pk,
            "token_id": spare_token.pk,
            "webhook_id": webhook.pk,
            "conversation_id": conversation.pk,
            "article_id": article.pk,
        },
        "secret": api_token_create(user=admin_user, name="fuzzer").secret,
    }


@schema.parametrize()
@fuzz_settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_it_keeps_the_contract_for_any_request(case, world):
    # Half of the generated ids point at real rows, so the happy paths are fuzzed too, not only 404s.
    for name, value in (case.path_parameters or {}).items():
        if name in world["ids"] and isinstance(value, int) and value % 2 == 0:
            case.path_parameters[name] = world["ids"][name]
    case.call_and_validate(headers={"Authorization": f"Bearer {world['secret']}"}, checks=CHECKS)
