"""Uploads: judged by content, images re-encoded without EXIF, bombs and fakes refused, nothing half-saved."""

import io
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tickets.errors import ActionNotAllowed, AttachmentRejected
from tickets.models import Attachment, Comment, Ticket, TicketEvent
from tickets.services import attachment_add, comment_create, ticket_create


def _png(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="PNG")
    return buffer.getvalue()


def _jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x0131] = "secret-firmware"  # Software
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def _png_bomb(width=100_000, height=100_000) -> bytes:
    """A tiny valid PNG whose header claims a huge canvas: decoding it would need gigabytes."""
    data = bytearray(_png((1, 1)))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _stored_files(media_root):
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


def _nothing_saved(ticket, media_root):
    return (
        not Attachment.objects.exists()
        and not _stored_files(media_root)
        and not ticket.events.filter(kind=TicketEvent.Kind.ATTACHMENT_ADDED).exists()
    )


def test_it_stores_a_real_image_re_encoded(make_ticket, customer_a, media_root):
    ticket = make_ticket()
    attachment = attachment_add(
        ticket=ticket, uploaded_by=customer_a, upload=SimpleUploadedFile("screen shot.PNG", _png())
    )
    assert (attachment.content_type, attachment.original_name, attachment.site_id) == (
        "image/png",
        "screen shot.png",
        ticket.site_id,
    )
    with Image.open(attachment.file.path) as stored:
        assert (stored.format, stored.size) == ("PNG", (40, 30))
    event = ticket.events.get(kind=TicketEvent.Kind.ATTACHMENT_ADDED)
    assert event.data == {"attachment_id": attachment.pk, "internal": False}


def test_it_strips_exif_from_photos(make_ticket, customer_a):
    upload = _jpeg_with_exif()
    with Image.open(io.BytesIO(upload)) as original:
        assert original.getexif()[0x010F] == "SpyCam Inc."
    attachment = attachment_add(
        ticket=make_ticket(), uploaded_by=customer_a, upload=SimpleUploadedFile("p.jpg", upload)
    )
    with Image.open(attachment.file.path) as stored:
        assert dict(stored.getexif()) == {}
        assert "exif" not in stored.info
    assert b"SpyCam" not in attachment.file.open("rb").read()


def test_it_refuses_a_decompression_bomb(make_ticket, customer_a, media_root):
    ticket = make_ticket()
    with pytest.raises(AttachmentRejected, match="decompression bomb"):
        attachment_add(
            ticket=ticket, uploaded_by=customer_a, upload=SimpleUploadedFile("big.png", _png_bomb())
        )
    assert _nothing_saved(ticket, media_root)


def test_it_refuses_an_image_over_the_pixel_limit(make_ticket, customer_a, settings, media_root):
    settings.TICKET_ATTACHMENT_MAX_PIXELS = 1000
    ticket = make_ticket()
    with pytest.raises(AttachmentRejected, match="40×30 pixels"):
        attachment_add(ticket=ticket, uploaded_by=customer_a, upload=SimpleUploadedFile("a.png", _png()))
    assert _nothing_saved(ticket, media_root)


def test_it_refuses_text_renamed_as_an_image(make_ticket, customer_a, media_root):
    ticket = make_ticket()
    with pytest.raises(AttachmentRejected, match="not a valid image"):
        attachment_add(
            ticket=ticket, uploaded_by=customer_a, upload=SimpleUploadedFile("cat.png", b"just some text\n")
        )
    assert _nothing_saved(ticket, media_root)


def test_it_refuses_an_image_whose_name_claims_another_format(make_ticket, customer_a):
    with pytest.raises(AttachmentRejected, match="not a valid JPEG"):
        attachment_add(
            ticket=make_ticket(), uploaded_by=customer_a, upload=SimpleUploadedFile("a.jpg", _png())
        )


def test_it_refuses_an_oversize_file(make_ticket, customer_a, settings, media_root):
    settings.TICKET_ATTACHMENT_MAX_BYTES = 1024
    ticket = make_ticket()
    with pytest.raises(AttachmentRejected, match="too large"):
        attachment_add(
            ticket=ticket, uploaded_by=customer_a, upload=SimpleUploadedFile("log.txt", b"x" * 2048)
        )
    assert _nothing_saved(ticket, media_root)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.exe", b"MZ\x90\x00", "not accepted"),
        ("report.pdf", b"not a pdf at all", "not a valid PDF"),
        ("notes.docx", b"PK\x03\x04broken", "not a valid docx"),
        ("data.csv", b"a,b\x00\xff", "not a plain text"),
        ("empty.txt", b"", "empty"),
    ],
)
def test_it_refuses_files_outside_the_allow_list(make_ticket, customer_a, media_root, name, content, message):
    ticket = make_ticket()
    with pytest.raises(AttachmentRejected, match=message):
        attachment_add(ticket=ticket, uploaded_by=customer_a, upload=SimpleUploadedFile(name, content))
    assert _nothing_saved(ticket, media_root)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("report.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf"),
        ("errors.log", b"2026-01-01 ERROR spooler crashed\n", "text/plain"),
        ("users.csv", "name,site\nZoë,A\n".encode(), "text/csv"),
        ("steps.docx", _docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)
def test_it_accepts_allowed_documents_by_content(make_ticket, customer_a, name, content, content_type):
    attachment = attachment_add(
        ticket=make_ticket(), uploaded_by=customer_a, upload=SimpleUploadedFile(name, content)
    )
    assert (attachment.content_type, attachment.size) == (content_type, len(content))
    assert attachment.file.open("rb").read() == content


def test_a_reply_with_one_bad_file_saves_nothing(make_ticket, engineer_a, media_root):
    ticket = make_ticket("in_progress", assignee=engineer_a)
    uploads = [SimpleUploadedFile("ok.png", _png()), SimpleUploadedFile("bad.png", b"text")]
    with pytest.raises(AttachmentRejected):
        comment_create(ticket=ticket, author=engineer_a, body="See attached", uploads=uploads)
    assert not Comment.objects.exists()
    assert _nothing_saved(ticket, media_root)


def test_a_ticket_with_a_bad_file_is_not_created(site_a, customer_a, media_root):
    with pytest.raises(AttachmentRejected):
        ticket_create(
            site=site_a,
            requester=customer_a,
            title="Broken screen",
            description="See photo",
            uploads=[SimpleUploadedFile("photo.jpg", _png_bomb())],
        )
    assert not Ticket.objects.exists()
    assert not _stored_files(media_root)


def test_only_engineers_add_internal_files(make_ticket, customer_a, engineer_a):
    ticket = make_ticket()
    with pytest.raises(ActionNotAllowed):
        attachment_add(
            ticket=ticket, uploaded_by=customer_a, upload=SimpleUploadedFile("a.txt", b"hi"), is_internal=True
        )
    internal = attachment_add(
        ticket=ticket, uploaded_by=engineer_a, upload=SimpleUploadedFile("a.txt", b"hi"), is_internal=True
    )
    assert internal.is_internal
