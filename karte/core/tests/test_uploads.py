"""karte/core/uploads.py as a user meets it: a disposal certificate attached and downloaded.

What is accepted is judged by content and size, is stored under KARTE_PRIVATE_FILES_DIR under a random name
(never under MEDIA_ROOT or the static folders), and goes out only as an attachment to someone who may see the
record.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext

from karte.core.uploads import UploadRefused, detect_kind
from karte.disposals.forms import CERTIFICATE_KINDS
from karte.disposals.models import StorageDisposal
from karte.disposals.tests.helpers import PDF, days_ago, form_data, make_disposal, use_private_dir

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
EXECUTABLE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 64
    + b"This program cannot be run in DOS mode"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture
def private_dir(settings, tmp_path):
    return use_private_dir(settings, tmp_path)


@pytest.fixture
def disposal(world, private_dir):
    return make_disposal(world.section_a1, "廃棄した業務用PC", disposed_on=days_ago(3))


def attach(client, disposal, name: str, content: bytes, content_type: str = "application/pdf"):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    url = reverse("disposals:storagedisposal_edit", kwargs={"pk": disposal.pk})
    return client.post(url, {**form_data(disposal), "certificate": upload})


def stored_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def refused_kind_message() -> str:
    return gettext("This kind of file cannot be attached. Accepted: %(kinds)s.") % {
        "kinds": ", ".join(sorted(k.upper() for k in CERTIFICATE_KINDS))
    }


# --- what is accepted, and where it goes --------------------------------------------------------------
def test_a_pdf_is_stored_in_the_private_folder_under_a_random_name(client_for, world, disposal, private_dir):
    response = attach(client_for(world.users["editor_a1"]), disposal, "廃棄証明書_2024.pdf", PDF)
    assert response.status_code == 302
    disposal.refresh_from_db()
    [stored] = stored_files(private_dir)
    assert stored.read_bytes() == PDF
    assert stored.suffix == ".pdf"
    assert "廃棄証明書" not in str(stored) and "2024.pdf" not in stored.name, "nothing of the user's name"
    assert Path(disposal.certificate.path) == stored
    for served in (
        django_settings.MEDIA_ROOT,
        django_settings.STATIC_ROOT,
        *django_settings.STATICFILES_DIRS,
    ):
        assert not stored.is_relative_to(Path(served).resolve())


def test_two_uploads_of_the_same_name_get_different_files(client_for, world, disposal, private_dir):
    client = client_for(world.users["editor_a1"])
    attach(client, disposal, "certificate.pdf", PDF)
    other = make_disposal(world.section_a1, "もう一台", disposed_on=days_ago(2))
    attach(client, other, "certificate.pdf", PDF)
    names = {p.name for p in stored_files(private_dir)}
    assert len(names) == 2


@pytest.mark.parametrize(
    ("name", "content"),
    [("certificate.pdf", EXECUTABLE), ("certificate.pdf", HTML), ("certificate.exe", EXECUTABLE)],
    ids=["executable-renamed-pdf", "html-renamed-pdf", "executable"],
)
def test_a_file_that_is_not_a_certificate_is_refused_and_nothing_saved(
    client_for, world, disposal, private_dir, name, content
):
    response = attach(client_for(world.users["editor_a1"]), disposal, name, content)
    assert response.status_code == 400
    assert escape(refused_kind_message()) in response.content.decode()
    disposal.refresh_from_db()
    assert not disposal.certificate and disposal.certificate_name == ""
    assert disposal.history.count() == 1
    assert stored_files(private_dir) == []


def test_a_file_over_the_limit_is_refused(client_for, world, disposal, private_dir, settings):
    settings.KARTE_UPLOAD_MAX_BYTES = 1024 * 1024
    response = attach(client_for(world.users["editor_a1"]), disposal, "scan.pdf", PDF + b"0" * 1024 * 1024)
    assert response.status_code == 400
    message = gettext("The file is too large: at most %(mb)s MB can be attached.") % {"mb": 1}
    assert escape(message) in response.content.decode()
    disposal.refresh_from_db()
    assert not disposal.certificate
    assert stored_files(private_dir) == []


def test_an_empty_file_is_refused(client_for, world, disposal, private_dir):
    response = attach(client_for(world.users["editor_a1"]), disposal, "empty.pdf", b"")
    assert response.status_code == 400
    assert "空です" in response.content.decode()
    disposal.refresh_from_db()
    assert not disposal.certificate
    assert stored_files(private_dir) == []


def test_the_kind_is_judged_by_content_not_by_name():
    """The same bytes under any name: a PDF called .exe is a PDF; an executable called .pdf is refused."""
    assert detect_kind(SimpleUploadedFile("scan.exe", PDF)) == "pdf"
    with pytest.raises(UploadRefused):
        detect_kind(SimpleUploadedFile("scan.pdf", EXECUTABLE))


# --- going out --------------------------------------------------------------------------------------
def download(client, disposal):
    return client.get(reverse("disposals:certificate_download", kwargs={"pk": disposal.pk}))


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("廃棄証明書（関西リサイクル）.pdf", PDF, "application/pdf"), ("scan.PNG", PNG, "image/png")],
)
def test_the_download_is_an_attachment_with_the_original_name_and_type(
    client_for, world, disposal, name, content, content_type
):
    attach(client_for(world.users["editor_a1"]), disposal, name, content, content_type)
    response = download(client_for(world.users["viewer_a1"]), disposal)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert name in disposition or urllib.parse.quote(name) in disposition
    assert b"".join(response.streaming_content) == content
    assert response["Content-Security-Policy"] == "sandbox"


def test_another_department_and_another_body_get_not_found(client_for, world, disposal):
    attach(client_for(world.users["editor_a1"]), disposal, "certificate.pdf", PDF)
    assert download(client_for(world.users["editor_a2"]), disposal).status_code == 404
    assert download(client_for(world.users["office_b"]), disposal).status_code == 404
    assert download(client_for(world.users["office_a"]), disposal).status_code == 200


def test_anonymous_is_sent_to_login_and_no_role_is_refused(client, world, disposal, private_dir):
    response = attach(client, disposal, "x.pdf", PDF)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert stored_files(private_dir) == []
    disposal.certificate.save("attachment.pdf", SimpleUploadedFile("a.pdf", PDF))
    response = download(client, disposal)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    client.force_login(world.users["no_role"])
    assert download(client, disposal).status_code == 403


# --- the private folder follows its setting, though Django builds a field's storage once -----------
def test_a_changed_private_folder_reaches_the_certificate_field(settings, tmp_path):
    settings.KARTE_PRIVATE_FILES_DIR = tmp_path / "elsewhere"
    storage = StorageDisposal._meta.get_field("certificate").storage
    assert Path(storage.location) == (tmp_path / "elsewhere").resolve()
