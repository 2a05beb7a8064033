"""`Idempotency-Key` on the API's creating POSTs: a retry, even a simultaneous one, creates nothing twice."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from config.api import api
from helpdesk.schedules import PERIODIC_JOBS
from integrations.models import IdempotencyKey
from integrations.services import api_token_create
from integrations.tasks import idempotency_keys_prune
from tickets.models import Comment, Ticket
from tickets.services import ticket_create

TICKETS = "/api/v1/tickets"
PRINTER = {"title": "Printer jammed", "description": "Paper stuck in tray 2."}


def _client(user=None, *, secret: str = "") -> Client:
    secret = secret or api_token_create(user=user, name="tests").secret
    return Client(headers={"Authorization": f"Bearer {secret}"})


def _post(client: Client, path: str, payload: dict, key: str | None = "key-1"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(path, json.dumps(payload), content_type="application/json", headers=headers)


def test_a_retry_with_the_same_key_replays_the_first_answer(customer_a):
    client = _client(customer_a)
    first = _post(client, TICKETS, PRINTER)
    again = _post(client, TICKETS, PRINTER)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Ticket.objects.count() == 1
    assert _post(client, TICKETS, PRINTER, key="key-2").json()["id"] != first.json()["id"]
    assert _post(client, TICKETS, PRINTER, key=None).status_code == 201
    assert Ticket.objects.count() == 3


def test_the_same_key_with_another_body_is_refused(customer_a):
    client = _client(customer_a)
    _post(client, TICKETS, PRINTER)
    refused = _post(client, TICKETS, {**PRINTER, "title": "Scanner offline"})
    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        "This Idempotency-Key was already used for a different request; use a new key for a new request."
    )
    assert refused.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert Ticket.objects.count() == 1


def test_keys_belong_to_their_token(customer_a, colleague_a, customer_b):
    """Another caller's key is not a way to read someone else's answer."""
    mine = _post(_client(customer_a), TICKETS, PRINTER).json()
    for other in (colleague_a, customer_b):
        theirs = _post(_client(other), TICKETS, PRINTER)
        assert theirs.status_code == 201 and theirs.json()["id"] != mine["id"]
        assert "Idempotent-Replayed" not in theirs
    assert _post(_client(customer_a), TICKETS, PRINTER).json()["id"] != mine["id"], "a new token, new keys"


def test_a_refused_request_does_not_use_up_its_key(customer_a):
    client = _client(customer_a)
    assert _post(client, TICKETS, {"title": ""}).status_code == 422
    assert _post(client, TICKETS, PRINTER).status_code == 201
    assert not IdempotencyKey.objects.filter(status_code=422).exists()


def test_a_malformed_key_is_a_field_error(customer_a):
    refused = _post(_client(customer_a), TICKETS, PRINTER, key="x" * 256)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert not Ticket.objects.exists()


def test_it_covers_every_creating_post_for_example_comments(site_a, customer_a):
    client = _client(customer_a)
    ticket = ticket_create(site=site_a, requester=customer_a, **PRINTER)
    path = f"{TICKETS}/{ticket.pk}/comments"
    first = _post(client, path, {"body": "Still jammed."})
    assert _post(client, path, {"body": "Still jammed."}).json() == first.json()
    assert Comment.objects.filter(ticket=ticket).count() == 1


def test_it_fingerprints_uploads_by_their_content(site_a, customer_a):
    client = _client(customer_a)
    ticket = ticket_create(site=site_a, requester=customer_a, **PRINTER)
    path, key = f"{TICKETS}/{ticket.pk}/attachments", {"Idempotency-Key": "upload-1"}

    def upload(content: bytes):
        return client.post(path, {"file": SimpleUploadedFile("notes.txt", content)}, headers=key)

    first = upload(b"hello")
    assert first.status_code == 201
    assert upload(b"hello").json() == first.json()
    assert upload(b"other").status_code == 422
    assert ticket.attachments.count() == 1


def test_the_schema_documents_the_header_on_every_creating_post():
    creating = [
        (path, operation)
        for path, item in api.get_openapi_schema()["paths"].items()
        for method, operation in item.items()
        if method == "post" and "201" in operation["responses"]
    ]
    assert len(creating) >= 10
    for path, operation in creating:
        assert "Idempotency-Key" in [p["name"] for p in operation.get("parameters", [])], path


def test_keys_expire_after_a_day(customer_a):
    client = _client(customer_a)
    first = _post(client, TICKETS, PRINTER).json()
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert _post(client, TICKETS, PRINTER).json()["id"] != first["id"], "an expired key is a new request"
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_keys_prune() == 1
    assert not IdempotencyKey.objects.exists()
    assert "integrations.tasks.idempotency_keys_prune" in {job["func"] for job in PERIODIC_JOBS}


@pytest.mark.parametrize("callers", [20])
def test_simultaneous_retries_create_one_ticket_and_answer_alike(
    django_db_serialized_rollback, transactional_db, customer_a, callers
):
    secret = api_token_create(user=customer_a, name="tests").secret
    barrier = threading.Barrier(callers)
    answers, errors = [], []

    def send():
        try:
            barrier.wait(timeout=10)
            answers.append(_post(_client(secret=secret), TICKETS, PRINTER))
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    ticket = Ticket.objects.get(requester=customer_a)
    assert [answer.status_code for answer in answers] == [201] * callers
    assert {answer.json()["id"] for answer in answers} == {ticket.pk}
    assert sum(answer.has_header("Idempotent-Replayed") for answer in answers) == callers - 1
