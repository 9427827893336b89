"""Files people attach to records: inspection evidence, disposal certificates, incident reports.

They are kept under KARTE_PRIVATE_FILES_DIR, outside every folder the web server serves, under a random
name, and go out only through `attachment_response`, called by a view that fetched the record through
`restrict()`. What a file is comes from its content, not its name: an executable renamed to .pdf is
refused, and so is anything over KARTE_UPLOAD_MAX_BYTES.

In a form, use `AttachmentField`; its cleaned value keeps the name the user gave in `original_name`.
In a model, `models.FileField(storage=private_storage, upload_to=attachment_path)`.
"""

from __future__ import annotations

import mimetypes
import uuid
from pathlib import Path

import filetype
from django import forms
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _

# What people attach in an office: scans and signed documents, photos, office files, plain text.
DOCUMENT_KINDS = frozenset({"pdf", "png", "jpg", "gif", "webp", "tif", "xlsx", "docx", "pptx", "zip", "txt"})
TEXT_SNIFF_BYTES = 8192


class PrivateStorage(FileSystemStorage):
    """Attached files under KARTE_PRIVATE_FILES_DIR, followed when the setting changes (Django builds a
    field's storage once), with no URL: nothing is served from there directly."""

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.KARTE_PRIVATE_FILES_DIR)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "KARTE_PRIVATE_FILES_DIR":
            self.__dict__.pop("location", None)

    def url(self, name):
        raise ValueError("attached files have no URL; use attachment_response")


def private_storage() -> PrivateStorage:
    return PrivateStorage()


def attachment_path(instance, filename: str) -> str:
    """A random name under the app and month: nothing of the user's file name reaches the disk."""
    suffix = Path(filename).suffix.lower()
    return f"{instance._meta.app_label}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class UploadRefused(ValueError):
    """str() is the Japanese message for the user."""


# Plain text is known by its name too, so that an HTML or SVG page renamed .pdf is not taken for text.
TEXT_SUFFIXES = frozenset({".txt", ".csv", ".log"})


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "cp932"):
        try:
            # The sniffed head may end inside a multi-byte character.
            head.decode(encoding, errors="strict" if len(head) < TEXT_SNIFF_BYTES else "ignore")
            return True
        except UnicodeDecodeError:
            continue
    return False


def detect_kind(uploaded, kinds=DOCUMENT_KINDS) -> str:
    """Return the file's kind (its proper extension) from its content; UploadRefused if it is not accepted."""
    limit = settings.KARTE_UPLOAD_MAX_BYTES
    if uploaded.size is not None and uploaded.size > limit:
        raise UploadRefused(
            _("The file is too large: at most %(mb)s MB can be attached.") % {"mb": _megabytes(limit)}
        )
    uploaded.seek(0)
    head = uploaded.read(TEXT_SNIFF_BYTES)
    uploaded.seek(0)
    if not head:
        raise UploadRefused(_("The file is empty."))
    guessed = filetype.guess(head)
    named_text = Path(uploaded.name or "").suffix.lower() in TEXT_SUFFIXES
    kind = guessed.extension if guessed else ("txt" if named_text and _looks_like_text(head) else None)
    if kind == "jpeg":
        kind = "jpg"
    if kind not in kinds:
        raise UploadRefused(
            _("This kind of file cannot be attached. Accepted: %(kinds)s.")
            % {"kinds": ", ".join(sorted(k.upper() for k in kinds))}
        )
    return kind


def _attachment_help() -> str:
    return _("PDF, images, Excel, Word or text, up to %(mb)s MB.") % {
        "mb": _megabytes(settings.KARTE_UPLOAD_MAX_BYTES)
    }


class AttachmentField(forms.FileField):
    """A file field that accepts only the given kinds, judged by content, within the size limit.

    The cleaned file is renamed to its proper extension; the user's name is kept in `original_name`.
    """

    def __init__(self, *args, kinds=DOCUMENT_KINDS, **kwargs):
        self.kinds = kinds
        kwargs.setdefault("help_text", lazy(_attachment_help, str)())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        cleaned = super().clean(data, initial)
        if cleaned and cleaned is not initial and hasattr(cleaned, "read"):
            try:
                kind = detect_kind(cleaned, self.kinds)
            except UploadRefused as refused:
                raise forms.ValidationError(str(refused), code="refused") from None
            cleaned.original_name = Path(cleaned.name).name[:255]
            cleaned.name = f"attachment.{kind}"
        return cleaned


def attachment_response(fieldfile, download_name: str) -> FileResponse:
    """Hand out an attached file as a download, never rendered in Karte's origin."""
    if not fieldfile:
        raise Http404
    try:
        handle = fieldfile.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = mimetypes.guess_type(fieldfile.name)[0] or "application/octet-stream"
    response = FileResponse(handle, as_attachment=True, filename=download_name, content_type=content_type)
    response["Content-Security-Policy"] = "sandbox"
    return response
