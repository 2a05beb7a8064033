"""Served attachments carry safe headers: a file can never run as a page of ours."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tickets.models import Attachment
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


SCRIPT_PAGE = b"<html><script>alert(document.cookie)</script></html>"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def attachments(site_a, customer_a):
    ticket_create(
        site=site_a,
        requester=customer_a,
        title="Printer error page",
        description="Screenshot and the printer's log attached.",
        uploads=[
            SimpleUploadedFile("screen.png", png(), content_type="image/png"),
            # HTML with a script, named .txt and claimed as text/html by the browser.
            SimpleUploadedFile("printer.txt", SCRIPT_PAGE, content_type="text/html"),
        ],
    )
    return {attachment.content_type.split("/")[0]: attachment for attachment in Attachment.objects.all()}


def test_it_serves_a_text_file_as_a_plain_download_that_cannot_run(login, customer_a, attachments):
    response = login(customer_a).get(reverse("tickets:attachment", args=[attachments["text"].pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_it_serves_an_image_inline_with_its_sniffed_type(login, customer_a, attachments):
    response = login(customer_a).get(reverse("tickets:attachment", args=[attachments["image"].pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_it_hides_attachments_from_another_site(login, customer_b, engineer_b, attachments):
    for outsider in (customer_b, engineer_b):
        for attachment in attachments.values():
            response = login(outsider).get(reverse("tickets:attachment", args=[attachment.pk]))
            assert response.status_code == 404


def test_it_keeps_the_apis_sandbox_policy_on_downloads(login, customer_a, attachments):
    url = f"/api/v1/tickets/attachments/{attachments['text'].pk}/download"
    response = login(customer_a).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    # The security middleware only fills in a policy; it never loosens the download's own sandbox.
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"
