"""Reading support mail: the mailbox sources, and what a message says once parsed.

No database here: `integrations.services.mail_receive` decides what becomes of a parsed message. Parsing
never raises: whatever is wrong with a message becomes `ParsedMail.malformed`, a sentence, so a broken
message is kept with its reason instead of stopping the mailbox.
"""

from __future__ import annotations

import contextlib
import email
import hashlib
import imaplib
import mailbox
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import errors, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

from django.utils.html import strip_tags

# Defects that mean the MIME structure itself is broken, so the text we would file is not trustworthy.
BROKEN_STRUCTURE = (
    errors.StartBoundaryNotFoundDefect,
    errors.MultipartInvariantViolationDefect,
    errors.NoBoundaryInMultipartDefect,
    errors.MissingHeaderBodySeparatorDefect,
)
AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}
SUBJECT_TOKEN = re.compile(r"\[#(\d+)\]")
REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|tr)\s*:\s*)+", re.IGNORECASE)
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# Where the quoted history of a reply starts: Gmail/Apple ("On <date>, <name> wrote:"), Outlook.
QUOTE_STARTS = (
    re.compile(r"^On\b.{0,300}\bwrote:$", re.DOTALL),
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}$", re.IGNORECASE),
    re.compile(r"^_{10,}$"),
)
OUTLOOK_HEADER = re.compile(r"^(From|Sent|Date|To|Subject):\s", re.IGNORECASE)
SIGNATURE_STARTS = (re.compile(r"^--\s?$"), re.compile(r"^Sent from my \w+", re.IGNORECASE))


@dataclass(frozen=True)
class MailAttachment:
    name: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class ParsedMail:
    message_key: str  # the Message-ID, or a hash of the bytes for a message without one
    sender: str = ""  # lower-case address
    recipients: list[str] = field(default_factory=list)  # lower-case, in header order
    subject: str = ""
    body: str = ""  # the new text only: quoted history and signature stripped
    references: list[str] = field(default_factory=list)  # In-Reply-To and References ids
    attachments: list[MailAttachment] = field(default_factory=list)
    automatic: str = ""  # why it is machine-sent mail (auto-reply, bounce), else empty
    malformed: str = ""  # why it cannot be read, else empty

    @property
    def ticket_token(self) -> int | None:
        """The ticket a subject such as "Re: [#42] Printer" names."""
        match = SUBJECT_TOKEN.search(self.subject)
        return int(match.group(1)) if match else None

    @property
    def title(self) -> str:
        title = SUBJECT_TOKEN.sub("", REPLY_PREFIX.sub("", self.subject)).strip()
        return (title or f"Email from {self.sender}")[:200]


def body_strip(text: str) -> str:
    """The text a person wrote in this message: quoted history, quoted lines and signature removed."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for number, line in enumerate(lines):
        stripped = line.strip()
        two_lines = f"{stripped} {lines[number + 1].strip()}" if number + 1 < len(lines) else stripped
        if any(p.match(stripped) or p.match(two_lines) for p in QUOTE_STARTS):
            break
        if stripped.startswith("From:") and _outlook_quote_header(lines[number : number + 5]):
            break
        if any(p.match(line) for p in SIGNATURE_STARTS):
            break
        if not stripped.startswith(">"):
            kept.append(line.rstrip())
    return "\n".join(kept).strip()


def _outlook_quote_header(lines: list[str]) -> bool:
    """Outlook quotes a message under its headers (From:, Sent:, To:, Subject:) instead of a line."""
    return sum(bool(OUTLOOK_HEADER.match(line.strip())) for line in lines) >= 3


def _message_key(message: EmailMessage | None, raw: bytes) -> str:
    message_id = ""
    if message is not None:
        found = MESSAGE_ID.search(str(message.get("Message-ID", "")))
        message_id = found.group(0) if found else ""
    return (message_id or f"sha256:{hashlib.sha256(raw).hexdigest()}")[:998]


def _automatic(message: EmailMessage, sender: str) -> str:
    """Why a message was sent by a machine (RFC 3834 and the common vendor headers), else ''."""
    if message.get_content_type() == "multipart/report" or message.get("X-Failed-Recipients"):
        return "It is a delivery report (a bounce)."
    if sender.partition("@")[0] in BOUNCE_SENDERS:
        return f"It is a delivery report from {sender}."
    auto_submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"It is an automatic reply (Auto-Submitted: {auto_submitted})."
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return "It is an automatic reply (out of office)."
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"It is bulk or automatic mail (Precedence: {precedence})."
    return ""


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    return strip_tags(content) if part.get_content_type() == "text/html" else content


def _attachments(message: EmailMessage) -> list[MailAttachment]:
    found = []
    for part in message.iter_attachments():
        if part.is_multipart():
            continue
        content = part.get_payload(decode=True) or b""
        found.append(MailAttachment(part.get_filename() or "attachment", content, part.get_content_type()))
    return found


def mail_parse(raw: bytes) -> ParsedMail:
    """Everything the helpdesk reads from one RFC 5322 message; never raises (see `malformed`)."""
    try:
        message = email.message_from_bytes(raw, policy=policy.default)
    except Exception as error:  # the parser is lenient; anything it still cannot take is kept as malformed
        return ParsedMail(_message_key(None, raw), malformed=f"It could not be parsed ({error}).")
    key = _message_key(message, raw)
    try:
        sender = parseaddr(str(message.get("From", "")))[1].lower()
        subject = " ".join(str(message.get("Subject", "")).split())[:300]
        recipients = [
            address.lower()
            for header in ("To", "Cc", "Delivered-To", "X-Original-To")
            for _name, address in getaddresses([str(value) for value in message.get_all(header, [])])
            if address
        ]
        references = MESSAGE_ID.findall(f"{message.get('In-Reply-To', '')} {message.get('References', '')}")
    except Exception as error:  # a header so broken that even the lenient policy gives up
        return ParsedMail(key, malformed=f"Its headers could not be read ({error}).")
    header = {"message_key": key, "sender": sender, "recipients": recipients, "subject": subject}
    if "@" not in sender:
        return ParsedMail(**header, malformed="It has no sender address (From).")
    if automatic := _automatic(message, sender):
        return ParsedMail(**header, automatic=automatic)
    defects = [d for part in message.walk() for d in part.defects if isinstance(d, BROKEN_STRUCTURE)]
    if defects:
        names = ", ".join(sorted({type(d).__name__ for d in defects}))
        return ParsedMail(**header, malformed=f"Its MIME structure is broken ({names}).")
    try:
        text, attachments = _text(message), _attachments(message)
    except (LookupError, UnicodeError, ValueError) as error:
        return ParsedMail(**header, malformed=f"Its text could not be decoded ({error}).")
    return ParsedMail(**header, body=body_strip(text), references=references, attachments=attachments)


def mailbox_messages(source: str) -> Iterator[bytes]:
    """The raw messages of a mailbox: `maildir:/path`, `mbox:/path`, or `imaps://user:pass@host/FOLDER`.

    A local mailbox is read whole and left as it is (Message-IDs make re-reading harmless). From IMAP
    only unseen messages are fetched, and one is marked seen once the caller has taken it.
    """
    scheme, _, rest = source.partition(":")
    if scheme == "maildir":
        folder = mailbox.Maildir(rest, factory=None, create=False)
        for key in sorted(folder.keys()):
            yield folder.get_bytes(key)
    elif scheme == "mbox":
        folder = mailbox.mbox(rest, factory=None, create=False)
        for key in folder.iterkeys():
            yield folder.get_bytes(key)
    elif scheme in ("imap", "imaps"):
        yield from _imap_messages(urllib.parse.urlsplit(source))
    else:
        raise ValueError(
            f"MAIL_IN_SOURCE must start with maildir:, mbox:, imap:// or imaps://, got {scheme!r}."
        )


def _imap_messages(url: urllib.parse.SplitResult) -> Iterator[bytes]:
    if url.scheme == "imaps":
        connection = imaplib.IMAP4_SSL(url.hostname, url.port or 993)
    else:
        connection = imaplib.IMAP4(url.hostname, url.port or 143)
        connection.starttls()
    try:
        connection.login(urllib.parse.unquote(url.username or ""), urllib.parse.unquote(url.password or ""))
        connection.select(urllib.parse.unquote(url.path.strip("/")) or "INBOX")
        _status, found = connection.uid("SEARCH", None, "UNSEEN")
        for uid in found[0].split():
            _status, data = connection.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((item[1] for item in data if isinstance(item, tuple)), None)
            if raw is None:
                continue
            yield raw
            connection.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            connection.logout()
