"""Validation of uploaded files before anything is stored.

The file's kind is decided by its content, never by its name: the name's extension must then agree with
the content, so a text file renamed `.png` is refused. Images are opened with Pillow only after their
declared dimensions pass a pixel limit (decompression bombs), then re-encoded, which drops EXIF and any
other metadata. Everything is read into memory (bounded by the size limit) so a refusal leaves nothing.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from tickets.errors import AttachmentRejected

IMAGE_FORMATS = {  # Pillow format -> (extension, content type)
    "PNG": (".png", "image/png"),
    "JPEG": (".jpg", "image/jpeg"),
    "GIF": (".gif", "image/gif"),
    "WEBP": (".webp", "image/webp"),
}
IMAGE_EXTENSIONS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
TEXT_TYPES = {".txt": "text/plain", ".log": "text/plain", ".csv": "text/csv"}
OFFICE_TYPES = {
    ".docx": ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
ALLOWED_EXTENSIONS = sorted({*IMAGE_EXTENSIONS, *TEXT_TYPES, *OFFICE_TYPES, ".pdf"})


@dataclass(frozen=True)
class CleanFile:
    name: str
    content: bytes
    content_type: str

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def max_bytes() -> int:
    return settings.TICKET_ATTACHMENT_MAX_BYTES


def max_pixels() -> int:
    return settings.TICKET_ATTACHMENT_MAX_PIXELS


def _safe_name(name: str, extension: str) -> str:
    stem = "".join(ch if ch.isalnum() or ch in "-_ ." else "_" for ch in PurePath(name).stem).strip(" .")
    return f"{(stem or 'file')[:100]}{extension}"


def _read(upload) -> bytes:
    limit = max_bytes()
    if upload.size is not None and upload.size > limit:
        raise AttachmentRejected(f"{upload.name} is too large: the limit is {limit // (1024 * 1024)} MB.")
    upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise AttachmentRejected(f"{upload.name} is too large: the limit is {limit // (1024 * 1024)} MB.")
    if not content:
        raise AttachmentRejected(f"{upload.name} is empty.")
    return content


def _clean_image(name: str, content: bytes, claimed_format: str) -> CleanFile:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as probe:
                image_format = probe.format
                width, height = probe.size
                if width * height > max_pixels():
                    raise AttachmentRejected(
                        f"{name} is refused: {width}×{height} pixels is more than we accept "
                        "(it could be a decompression bomb)."
                    )
                probe.verify()
            with Image.open(io.BytesIO(content)) as image:
                image.load()
                image = ImageOps.exif_transpose(image)
                clean = image.copy()
    except AttachmentRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise AttachmentRejected(f"{name} is refused: it could be a decompression bomb.") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise AttachmentRejected(f"{name} is not a valid image.") from error
    if image_format not in IMAGE_FORMATS or image_format != claimed_format:
        raise AttachmentRejected(f"{name} is not a valid {claimed_format} image.")
    clean.info = {}
    if image_format == "JPEG" and clean.mode not in ("RGB", "L", "CMYK"):
        clean = clean.convert("RGB")
    output = io.BytesIO()
    clean.save(output, format=image_format)
    extension, content_type = IMAGE_FORMATS[image_format]
    return CleanFile(_safe_name(name, extension), output.getvalue(), content_type)


def _looks_like_text(content: bytes) -> bool:
    if b"\x00" in content:
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_office(content: bytes, folder: str) -> bool:
    if not content.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        return False
    return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)


def validate_upload(upload) -> CleanFile:
    """Return the file as we will store it, or raise AttachmentRejected with a message for the user."""
    name = PurePath(upload.name or "file").name
    extension = PurePath(name).suffix.lower()
    if extension not in ALLOWED_EXTENSIONS:
        allowed = ", ".join(ALLOWED_EXTENSIONS)
        raise AttachmentRejected(f"{name}: this type of file is not accepted (allowed: {allowed}).")
    content = _read(upload)
    if extension in IMAGE_EXTENSIONS:
        return _clean_image(name, content, IMAGE_EXTENSIONS[extension])
    if extension == ".pdf":
        if not content.startswith(b"%PDF-"):
            raise AttachmentRejected(f"{name} is not a valid PDF.")
        return CleanFile(_safe_name(name, extension), content, "application/pdf")
    if extension in OFFICE_TYPES:
        folder, content_type = OFFICE_TYPES[extension]
        if not _is_office(content, folder):
            raise AttachmentRejected(f"{name} is not a valid {extension[1:]} document.")
        return CleanFile(_safe_name(name, extension), content, content_type)
    if not _looks_like_text(content):
        raise AttachmentRejected(f"{name} is not a plain text file.")
    return CleanFile(_safe_name(name, extension), content, TEXT_TYPES[extension])
