"""Email in: the Maildir fixture end to end, then each rule on its own with messages built here.

Site A's support address is support@alder.example; site B's is support@birchwood.example. Alice is a
customer of A, Bob of B: anything Bob sends to A's address is held for A's engineers, never filed to A.
"""

import io
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django_q.models import Schedule
from PIL import Image

from integrations.mail_in import body_strip, mail_parse
from integrations.models import InboundMail, SupportAddress
from integrations.services import mail_receive, mailbox_fetch
from integrations.tasks import mail_in_fetch
from tickets.models import Comment, Ticket
from tickets.notifications import notify_public_reply, notify_ticket_created
from tickets.services import comment_create, ticket_create

pytestmark = pytest.mark.django_db

MAILDIR = Path(__file__).resolve().parents[2] / "fixtures" / "mail" / "maildir"
SOURCE = f"maildir:{MAILDIR}"
Status = InboundMail.Status


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def addresses(site_a, site_b):
    SupportAddress.objects.create(site=site_a, address="Support@Alder.example")
    SupportAddress.objects.create(site=site_b, address="support@birchwood.example")


def message(
    *,
    sender="Alice Archer <alice@alder.example>",
    to="support@alder.example",
    subject="VPN drops every hour",
    body="The VPN disconnects every hour on the hour.",
    message_id="<m1@mail.alder.example>",
    headers=(),
    attachments=(),
) -> bytes:
    built = EmailMessage()
    built["From"], built["To"], built["Subject"], built["Message-ID"] = sender, to, subject, message_id
    built["Date"] = "Tue, 01 Dec 2026 11:00:00 +0000"
    for name, value in headers:
        built[name] = value
    built.set_content(body)
    for name, content, maintype, subtype in attachments:
        built.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return built.as_bytes()


def png_bytes() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(output, format="PNG")
    return output.getvalue()


def test_it_files_the_maildir_fixture_end_to_end(addresses, site_a, customer_a, customer_b):
    outcome = mailbox_fetch(source=SOURCE)

    assert outcome == {
        Status.TICKET: 1,
        Status.COMMENT: 1,
        Status.IGNORED: 2,
        Status.MALFORMED: 1,
        Status.HELD: 3,
        "duplicate": 1,
    }
    [ticket] = Ticket.objects.all()
    assert (ticket.site, ticket.requester, ticket.source) == (site_a, customer_a, "email")
    assert ticket.title == "Printer on the 3rd floor is offline"
    assert "since 9am" in ticket.description
    assert "Alice Archer\nAlder & Finch" not in ticket.description  # the signature is stripped
    [log] = ticket.attachments.all()
    assert (log.original_name, log.content_type) == ("printer-log.txt", "text/plain")
    assert b"error 49.4C02" in log.file.read()
    [reply] = Comment.objects.filter(ticket=ticket)
    assert reply.body == "It came back after a restart, but jammed again at 9:35."
    assert reply.author == customer_a
    kept = {record.message_key: record for record in InboundMail.objects.all()}
    assert kept["<ooo-3@mail.alder.example>"].reason.startswith("It is an automatic reply")
    assert kept["<bounce-4@mx1.helpdesk.example>"].reason == "It is a delivery report (a bounce)."
    assert "MIME structure is broken" in kept["<broken-6@mail.alder.example>"].reason
    assert kept["<stranger-7@unknown.example>"].status == Status.HELD
    wrong_site = kept["<wrong-site-8@birchwood.example>"]
    assert (wrong_site.status, wrong_site.site, wrong_site.ticket) == (Status.HELD, site_a, None)
    assert wrong_site.reason.startswith("bob@birchwood.example is not a customer of Alder & Finch LLP")
    assert not customer_b.requested_tickets.exists()
    assert (
        "#999999, which is not a ticket of Alder & Finch LLP" in kept["<token-9@mail.alder.example>"].reason
    )
    assert all(record.raw for record in kept.values())  # every message is kept, whatever became of it


def test_it_processes_every_message_once_however_often_the_mailbox_is_read(addresses, customer_a):
    mailbox_fetch(source=SOURCE)
    second = mailbox_fetch(source=SOURCE)

    assert second == {"duplicate": 9}
    assert Ticket.objects.count() == 1
    assert Comment.objects.count() == 1
    assert InboundMail.objects.count() == 8


def test_the_scheduled_job_reads_the_configured_mailbox(addresses, customer_a, settings):
    settings.MAIL_IN_SOURCE = SOURCE
    assert mail_in_fetch()[Status.TICKET] == 1
    settings.MAIL_IN_SOURCE = ""
    assert mail_in_fetch() == {}
    assert Schedule.objects.filter(func="integrations.tasks.mail_in_fetch").exists()


def test_the_command_reads_a_mailbox_and_says_what_became_of_it(addresses, customer_a):
    out = io.StringIO()
    call_command("mail_in", "--source", SOURCE, stdout=out)
    assert out.getvalue().startswith("Read 9 messages: ")
    assert "1 ticket" in out.getvalue()


def test_a_new_message_opens_a_ticket_for_its_sender(addresses, site_a, customer_a):
    record, filed = mail_receive(raw=message())

    assert filed and record.status == Status.TICKET
    assert (record.ticket.requester, record.ticket.site) == (customer_a, site_a)
    assert record.ticket.description == "The VPN disconnects every hour on the hour."


def test_a_mail_to_site_a_from_a_customer_of_site_b_is_held_not_filed(addresses, site_a, customer_b):
    record, _ = mail_receive(raw=message(sender="bob@birchwood.example"))

    assert (record.status, record.site, record.ticket) == (Status.HELD, site_a, None)
    assert not Ticket.objects.exists()


def test_the_same_customer_writing_to_their_own_sites_address_is_filed(addresses, site_b, customer_b):
    record, _ = mail_receive(raw=message(sender="bob@birchwood.example", to="support@birchwood.example"))
    assert (record.status, record.ticket.site) == (Status.TICKET, site_b)


def test_an_unknown_sender_and_an_unknown_address_are_held_with_a_reason(addresses):
    stranger, _ = mail_receive(raw=message(sender="eve@elsewhere.example"))
    nowhere, _ = mail_receive(raw=message(to="sales@alder.example", message_id="<m2@x>"))

    assert stranger.status == nowhere.status == Status.HELD
    assert stranger.reason.startswith("eve@elsewhere.example is not a customer of Alder & Finch LLP")
    assert (nowhere.site, nowhere.reason) == (None, "It was not sent to any site's support address.")


def test_a_reply_with_the_ticket_token_in_its_subject_becomes_a_comment(addresses, site_a, customer_a):
    ticket = ticket_create(site=site_a, requester=customer_a, title="VPN", description="Drops hourly")

    record, _ = mail_receive(raw=message(subject=f"RE: [#{ticket.pk}] VPN", body="Still dropping."))

    assert (record.status, record.ticket, record.comment.body) == (Status.COMMENT, ticket, "Still dropping.")


def test_a_token_naming_another_sites_ticket_is_held(addresses, site_b, customer_a, customer_b):
    theirs = ticket_create(site=site_b, requester=customer_b, title="Labels", description="Blank")

    record, _ = mail_receive(raw=message(subject=f"Re: [#{theirs.pk}] Labels", body="Me too"))

    assert record.status == Status.HELD
    assert record.reason == f"It replies to ticket #{theirs.pk}, which is not a ticket of Alder & Finch LLP."
    assert not theirs.comments.exists()


def test_a_reply_to_our_notification_threads_onto_its_ticket(
    addresses, site_a, customer_a, engineer_a, django_capture_on_commit_callbacks
):
    ticket = ticket_create(site=site_a, requester=customer_a, title="VPN", description="Drops hourly")
    notify_ticket_created(ticket.pk)
    comment = comment_create(ticket=ticket, author=engineer_a, body="Which office?")
    notify_public_reply(comment.pk)
    created, replied = mail.outbox[-2:]
    assert created.extra_headers["Message-ID"] == f"<ticket-{ticket.pk}@localhost>"
    assert (
        replied.extra_headers["In-Reply-To"]
        == replied.extra_headers["References"]
        == (f"<ticket-{ticket.pk}@localhost>")
    )
    assert replied.extra_headers["Message-ID"] != created.extra_headers["Message-ID"]
    assert created.extra_headers["Auto-Submitted"] == "auto-generated"

    answer = message(
        subject="Re: New reply",  # no token: the headers alone say which ticket
        body="The Boston one.\n\nOn Tue, 1 Dec 2026, Helpdesk <helpdesk@localhost> wrote:\n> Which office?",
        headers=[
            ("In-Reply-To", replied.extra_headers["Message-ID"]),
            ("References", f"{created.extra_headers['Message-ID']} {replied.extra_headers['Message-ID']}"),
        ],
    )
    record, _ = mail_receive(raw=answer)

    assert (record.status, record.ticket, record.comment.body) == (Status.COMMENT, ticket, "The Boston one.")


def test_attachments_go_through_the_upload_validation(addresses, customer_a):
    good, _ = mail_receive(raw=message(attachments=[("screen.png", png_bytes(), "image", "png")]))
    bad, _ = mail_receive(
        raw=message(
            message_id="<m2@mail.alder.example>",
            attachments=[("setup.exe", b"MZ\x90\x00", "application", "octet-stream")],
        )
    )

    assert good.status == Status.TICKET
    assert good.ticket.attachments.get().content_type == "image/png"
    assert bad.status == Status.HELD
    assert bad.reason.startswith("setup.exe: this type of file is not accepted")
    assert Ticket.objects.count() == 1


def test_a_malformed_message_without_a_message_id_is_kept_once_by_its_hash(addresses):
    raw = b"Subject: no sender\r\n\r\nwho wrote this?\r\n"

    first, filed = mail_receive(raw=raw)
    again, filed_again = mail_receive(raw=raw)

    assert (first.status, first.reason) == (Status.MALFORMED, "It has no sender address (From).")
    assert first.message_key.startswith("sha256:")
    assert (filed, filed_again, again.pk) == (True, False, first.pk)


def test_a_refusal_from_the_ticket_rules_holds_the_message_with_its_sentence(addresses, customer_a):
    record, _ = mail_receive(raw=message(body="On Tue, 1 Dec 2026, Bob wrote:\n> only quoted text"))

    assert (record.status, record.reason) == (Status.HELD, "A ticket needs a title and a description.")


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ([("Auto-Submitted", "auto-replied")], "It is an automatic reply (Auto-Submitted: auto-replied)."),
        ([("X-Autoreply", "yes")], "It is an automatic reply (out of office)."),
        ([("Precedence", "bulk")], "It is bulk or automatic mail (Precedence: bulk)."),
        ([("X-Failed-Recipients", "gone@alder.example")], "It is a delivery report (a bounce)."),
    ],
)
def test_automatic_mail_is_ignored_but_kept(addresses, customer_a, headers, reason):
    record, _ = mail_receive(raw=message(headers=headers))
    assert (record.status, record.reason) == (Status.IGNORED, reason)
    assert not Ticket.objects.exists()


def test_auto_submitted_no_is_a_person_writing():
    assert mail_parse(message(headers=[("Auto-Submitted", "no")])).automatic == ""


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Thanks!\n\nOn Mon, 30 Nov 2026 at 10:00, Erin <erin@msp.example> wrote:\n> Try this", "Thanks!"),
        ("Thanks!\n\nOn Mon, 30 Nov 2026 at 10:00, Erin Engel\n<erin@msp.example> wrote:\n> x", "Thanks!"),
        ("Fixed.\n\n-----Original Message-----\nFrom: Helpdesk\nSent: Monday", "Fixed."),
        ("Fixed.\n\nFrom: Helpdesk <h@x>\nSent: Monday\nTo: Alice\nSubject: Re: VPN\n\nold", "Fixed."),
        ("Yes.\n> quoted line\nNo.", "Yes.\nNo."),
        ("Done.\n-- \nAlice Archer\nPartner", "Done."),
        ("Done.\n\nSent from my iPhone", "Done."),
    ],
)
def test_it_strips_quoted_history_and_signatures(text, kept):
    assert body_strip(text) == kept


def test_an_html_only_message_is_read_as_text():
    built = EmailMessage()
    built["From"], built["To"], built["Message-ID"] = "alice@alder.example", "support@alder.example", "<h@x>"
    built.set_content("<p>The <b>scanner</b> is jammed.</p>", subtype="html")
    assert mail_parse(built.as_bytes()).body == "The scanner is jammed."


def test_an_engineer_can_answer_by_mail_but_not_open_a_ticket(addresses, site_a, customer_a, engineer_a):
    engineer_a.email = "erin@msp.example"
    engineer_a.save()
    ticket = ticket_create(site=site_a, requester=customer_a, title="VPN", description="Drops hourly")

    answer, _ = mail_receive(raw=message(sender="erin@msp.example", subject=f"Re: [#{ticket.pk}] VPN"))
    request, _ = mail_receive(raw=message(sender="erin@msp.example", message_id="<m2@msp.example>"))

    assert (answer.status, answer.comment.author) == (Status.COMMENT, engineer_a)
    assert (request.status, request.reason) == (
        Status.HELD,
        "erin@msp.example is an engineer: file it for the customer it is about.",
    )


class FakeImap:
    """imaplib's IMAP4_SSL as far as the mailbox reader uses it: a folder with one seen, two unseen."""

    instances: list["FakeImap"] = []

    def __init__(self, host, port):
        self.address, self.calls, self.seen = (host, port), [], []
        self.folder = {
            b"1": message(message_id="<old@x>"),
            b"2": message(),
            b"3": message(message_id="<m3@x>"),
        }
        FakeImap.instances.append(self)

    def login(self, user, password):
        self.calls.append(("login", user, password))

    def select(self, folder):
        self.calls.append(("select", folder))

    def uid(self, command, *args):
        if command == "SEARCH":
            return "OK", [b"2 3"]
        if command == "FETCH":
            return "OK", [(b"%s (UID %s BODY[] {n}" % (args[0], args[0]), self.folder[args[0]]), b")"]
        self.seen.append(args[0])
        return "OK", []

    def logout(self):
        self.calls.append(("logout",))


def test_it_reads_unseen_imap_mail_and_marks_each_seen_once_filed(addresses, customer_a, monkeypatch):
    monkeypatch.setattr("integrations.mail_in.imaplib.IMAP4_SSL", FakeImap)
    FakeImap.instances.clear()

    outcome = mailbox_fetch(source="imaps://help%40alder.example:s%3Acret@imap.alder.example/Support")

    [imap] = FakeImap.instances
    assert imap.address == ("imap.alder.example", 993)
    assert imap.calls == [("login", "help@alder.example", "s:cret"), ("select", "Support"), ("logout",)]
    assert imap.seen == [b"2", b"3"]
    assert outcome == {Status.TICKET: 2}
