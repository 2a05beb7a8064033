import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from conftest import PASSWORD
from helpdesk import forms as profile_forms


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def jpeg_with_exif(size=(640, 480)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x013B] = "Alice at home, 12 Elm Street"  # Artist
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png_bomb(width=30_000, height=30_000) -> bytes:
    """A tiny PNG whose header claims 900 megapixels (its pixels compress to almost nothing)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width // 8 + 1) * 16)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def upload(client, data: bytes, name="me.jpg", content_type="image/jpeg"):
    return client.post(reverse("profile_avatar"), {"avatar": SimpleUploadedFile(name, data, content_type)})


def test_it_saves_a_square_thumbnail_without_exif(login, customer_a):
    original = jpeg_with_exif()
    with Image.open(io.BytesIO(original)) as sent:
        assert sent.getexif()[0x013B] == "Alice at home, 12 Elm Street"
    response = upload(login(customer_a), original)

    assert response.status_code == 302
    customer_a.profile.refresh_from_db()
    with Image.open(customer_a.profile.avatar.path) as saved:
        assert saved.size == (profile_forms.AVATAR_SIZE, profile_forms.AVATAR_SIZE)
        assert saved.format == "PNG"
        assert not saved.getexif()
        assert "exif" not in saved.info


@pytest.mark.parametrize("size", [(30_000, 30_000), (6_000, 5_000)])
def test_it_refuses_a_decompression_bomb(login, customer_a, size):
    bomb = png_bomb(*size)
    assert len(bomb) < 100_000
    response = upload(login(customer_a), bomb, name="bomb.png", content_type="image/png")

    assert response.status_code == 422
    assert "megapixels" in response.content.decode()
    customer_a.profile.refresh_from_db()
    assert not customer_a.profile.avatar


def test_it_refuses_a_file_that_only_pretends_to_be_an_image(login, customer_a):
    fake = b"<?php system($_GET['c']); ?>" + b"\x00" * 100
    response = upload(login(customer_a), fake, name="cat.jpg")

    assert response.status_code == 422
    assert "not a picture we can use" in response.content.decode()


def test_it_refuses_a_truncated_image(login, customer_a):
    response = upload(login(customer_a), jpeg_with_exif()[:400])

    assert response.status_code == 422
    assert "damaged or incomplete" in response.content.decode()


def test_it_refuses_an_oversized_file(login, customer_a, monkeypatch):
    monkeypatch.setattr(profile_forms, "AVATAR_MAX_BYTES", 10_000)
    response = upload(login(customer_a), jpeg_with_exif(size=(1200, 1200)) + b"\x00" * 20_000)

    assert response.status_code == 422
    assert "the limit is" in response.content.decode()


def test_it_changes_the_password_with_djangos_validators(login, customer_a):
    new = "Lamp-Orbit-Quiet-77"
    client = login(customer_a)
    weak = client.post(
        reverse("profile_password"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    wrong_old = client.post(
        reverse("profile_password"),
        {
            "old_password": "nope",
            "new_password1": "Lamp-Orbit-Quiet-77",
            "new_password2": "Lamp-Orbit-Quiet-77",
        },
    )
    good = client.post(
        reverse("profile_password"),
        {
            "old_password": PASSWORD,
            "new_password1": "Lamp-Orbit-Quiet-77",
            "new_password2": "Lamp-Orbit-Quiet-77",
        },
    )

    assert weak.status_code == 422
    assert "too common" in weak.content.decode() or "entirely numeric" in weak.content.decode()
    assert wrong_old.status_code == 422
    assert good.status_code == 302
    customer_a.refresh_from_db()
    assert customer_a.check_password(new)
    # The session that changed the password stays signed in.
    assert client.get(reverse("profile")).status_code == 200


def test_it_edits_the_display_name_and_phone(login, engineer_a):
    client = login(engineer_a)
    bad = client.post(reverse("profile"), {"display_name": "Erin E.", "phone": "call me maybe"})
    good = client.post(reverse("profile"), {"display_name": "  Erin   E. ", "phone": "+1 (555) 0100"})

    assert bad.status_code == 422
    assert "Enter a phone number" in bad.content.decode()
    assert good.status_code == 302
    engineer_a.profile.refresh_from_db()
    assert (engineer_a.profile.display_name, engineer_a.profile.phone) == ("Erin E.", "+1 (555) 0100")
    assert engineer_a.display_name == "Erin E."


def test_it_asks_for_a_login_first(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_it_serves_pictures_to_those_who_may_see_them(login, customer_a, customer_b, engineer_a, engineer_b):
    upload(login(customer_a), jpeg_with_exif())
    url = reverse("avatar_image", args=[customer_a.pk])

    for viewer, status in ((customer_a, 200), (engineer_a, 200), (customer_b, 404), (engineer_b, 404)):
        assert login(viewer).get(url).status_code == status, viewer.username
    assert login(customer_a).get(reverse("profile")).content.decode().count(url) == 1
