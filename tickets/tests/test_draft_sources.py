"""A sent draft's comment and email: every citation marker comes with the list it points to."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from testing.factories import NETWORK_HISTORY, PRINTER_HISTORY, new_ticket
from tickets.models import Comment
from tickets.triage import ticket_draft_reply, ticket_draft_send

SIMILAR_CASE_LINE = re.compile(r'^\[(\d+)\] A similar resolved case, [A-Z][a-z]+ \d{4}: ".+"$')


def split_sources(text: str) -> tuple[set[int], list[str]]:
    """The marker numbers of a reply's text, and the lines of its "Sources" list."""
    body, _, listed = text.partition("\n\nSources:\n")
    return {int(n) for group in re.findall(r"\[([\d,\s]+)\]", body) for n in group.split(",")}, [
        line for line in listed.splitlines() if line.strip()
    ]


@pytest.mark.usefixtures("history")
def test_it_emails_a_sent_draft_with_its_sources_in_the_customers_form(
    site_a, colleague_a, engineer_a, login, django_capture_on_commit_callbacks
):
    ticket = new_ticket(site_a, colleague_a)
    draft = ticket_draft_reply(ticket=ticket, actor=engineer_a)
    assert draft.sources and re.search(r"\[\d+\]", draft.body)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_draft_send(ticket=ticket, actor=engineer_a, body=draft.body + "\nSee also [9].")

    [email] = [message for message in mail.outbox if message.to == ["carol@alder.example"]][-1:]
    reply = Comment.objects.get(ticket=ticket)
    assert reply.body in email.body
    markers, lines = split_sources(reply.body)
    assert lines, "the email lists the sources its markers point to"
    assert markers == set(range(1, len(lines) + 1)), "one number per listed source, no marker without one"
    assert all(SIMILAR_CASE_LINE.match(line) for line in lines), lines
    past_titles = [title for title, _, _ in (*PRINTER_HISTORY, *NETWORK_HISTORY)]
    leaked = (*past_titles, "Alice", "Archer", "/tickets/")
    assert not [text for text in leaked if text in reply.body], "a colleague's case is never named or linked"

    page = login(colleague_a).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "A similar resolved case," in page
    assert not [title for title in past_titles if title in page]
