"""The "Report a problem" form carries a one-time key: a double submit, even a simultaneous one, is one
ticket."""

from __future__ import annotations

import re
import threading
import uuid

from django.db import connection
from django.test import Client

from tickets.models import Ticket

FORM = "/tickets/new/"


def _form_key(client: Client) -> str:
    page = client.get(FORM).content.decode()
    return re.search(r'name="client_key" value="([^"]+)"', page).group(1)


def test_each_rendered_form_has_its_own_key(login, customer_a):
    client = login(customer_a)
    assert _form_key(client) != _form_key(client)


def test_a_resubmitted_form_opens_one_ticket(login, customer_a):
    client = login(customer_a)
    form = {
        "title": "Scanner offline",
        "description": "The scanner says offline.",
        "client_key": _form_key(client),
    }
    first = client.post(FORM, form)
    second = client.post(FORM, form)
    ticket = Ticket.objects.get()
    assert first.url == second.url == f"/tickets/{ticket.pk}/"
    assert client.post(FORM, {**form, "client_key": _form_key(client)}).status_code == 302
    assert Ticket.objects.count() == 2, "a freshly rendered form is a new ticket"


def test_two_simultaneous_submits_of_one_form_open_one_ticket(
    django_db_serialized_rollback, transactional_db, customer_a
):
    browser = Client()
    browser.force_login(customer_a)
    form = {
        "title": "Printer jammed",
        "description": "Paper stuck in tray 2.",
        "client_key": uuid.uuid4().hex,
    }
    barrier = threading.Barrier(2)
    answers, errors = [], []

    def submit():
        client = Client()
        client.cookies = browser.cookies
        try:
            barrier.wait(timeout=10)
            answers.append(client.post(FORM, form))
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    ticket = Ticket.objects.get(requester=customer_a)
    assert [answer.url for answer in answers] == [f"/tickets/{ticket.pk}/"] * 2
