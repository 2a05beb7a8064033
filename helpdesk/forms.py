"""Profile forms: display name and contact, and the profile picture (verified, resized, re-encoded); and
how any page shows a service's own refusal on its form."""

from __future__ import annotations

import io
import re
import uuid
import warnings

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from helpdesk.models import Profile

AVATAR_MAX_BYTES = settings.AVATAR_MAX_BYTES
# Checked from the image header before any pixel is decoded: a small file claiming huge dimensions (a
# decompression bomb) is refused without allocating its memory.
AVATAR_MAX_PIXELS = settings.AVATAR_MAX_PIXELS
AVATAR_SIZE = 256
AVATAR_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
PHONE_RE = re.compile(r"^\+?[0-9 ().\-/]{5,40}$")


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["display_name", "phone"]
        labels = {"display_name": "Display name", "phone": "Contact phone"}
        help_texts = {"display_name": "How engineers and customers see you.", "phone": "e.g. +1 555 0100"}

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError("Enter the name people should see.")
        return name

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and not PHONE_RE.match(phone):
            raise forms.ValidationError("Enter a phone number: digits, spaces, +, -, ( and ) only.")
        return phone


class AvatarForm(forms.Form):
    avatar = forms.FileField(
        label="Profile picture",
        help_text=f"JPEG, PNG, GIF or WebP, at most {AVATAR_MAX_BYTES // (1024 * 1024)} MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
    )

    def clean_avatar(self) -> ContentFile:
        upload = self.cleaned_data["avatar"]
        if upload.size > AVATAR_MAX_BYTES:
            raise forms.ValidationError(
                f"The picture is {upload.size / (1024 * 1024):.1f} MB; the limit is "
                f"{AVATAR_MAX_BYTES // (1024 * 1024)} MB."
            )
        return ContentFile(avatar_thumbnail(upload.read()), name=f"{uuid.uuid4().hex}.png")

    def save(self, *, profile: Profile) -> Profile:
        old = profile.avatar.name
        with transaction.atomic():
            profile.avatar.save(self.cleaned_data["avatar"].name, self.cleaned_data["avatar"], save=True)
        if old and old != profile.avatar.name:
            transaction.on_commit(lambda: profile.avatar.storage.delete(old))
        return profile


def avatar_thumbnail(data: bytes) -> bytes:
    """A square PNG thumbnail made from the uploaded bytes, or ValidationError if they are no safe image.

    The output is re-encoded from pixels only: EXIF (GPS position, camera) and any trailing payload
    are gone.
    """
    try:
        with warnings.catch_warnings():
            # Pillow warns (rather than fails) on big images; our own limit below is stricter anyway.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in AVATAR_FORMATS:
                    raise forms.ValidationError("Upload a JPEG, PNG, GIF or WebP picture.")
                width, height = probe.size
                if width * height > AVATAR_MAX_PIXELS:
                    raise forms.ValidationError(
                        f"The picture is {width}×{height} pixels; the limit is "
                        f"{AVATAR_MAX_PIXELS // 1_000_000} megapixels."
                    )
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.seek(0)
                image = ImageOps.exif_transpose(image)
                image = (
                    image.convert("RGBA") if image.mode in ("P", "LA", "RGBA", "PA") else image.convert("RGB")
                )
                thumbnail = ImageOps.fit(image, (AVATAR_SIZE, AVATAR_SIZE), method=Image.Resampling.LANCZOS)
    except forms.ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise forms.ValidationError(
            f"The picture has too many pixels; the limit is {AVATAR_MAX_PIXELS // 1_000_000} megapixels."
        ) from error
    except UnidentifiedImageError as error:
        raise forms.ValidationError("This file is not a picture we can use.") from error
    except (OSError, SyntaxError, ValueError) as error:
        # Truncated or corrupt files fail while verifying or decoding.
        raise forms.ValidationError("This picture is damaged or incomplete.") from error
    out = io.BytesIO()
    thumbnail.save(out, format="PNG", optimize=True)
    return out.getvalue()


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError shown on the form: per field where it names one, else for the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def saved_through(form: forms.Form, action) -> bool:
    """Run a service's write; its own checks come back as form errors, as sentences."""
    try:
        action()
    except ValidationError as error:
        add_service_errors(form, error)
        return False
    return True
