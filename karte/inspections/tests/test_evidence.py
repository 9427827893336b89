"""Evidence files: judged by content, kept outside every served folder, handed out only to who sees them."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from karte.core import rounds
from karte.inspections.models import InspectionEvidence
from karte.inspections.tests.conftest import answer_of
from karte.inspections.tests.test_answering import questionnaire_data, questionnaire_url

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
# The start of a Windows executable (an MZ header), whatever its name says.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def remove_stored_files(db):
    yield
    for evidence in InspectionEvidence.objects.all():
        evidence.file.delete(save=False)


def upload(client, survey, system, question, name: str, content: bytes):
    answer = answer_of(survey, system, question)
    data = questionnaire_data(survey, system)
    data[f"file_{answer.pk}"] = SimpleUploadedFile(name, content, content_type="application/pdf")
    return client.post(questionnaire_url(survey, system), data)


def test_an_executable_renamed_to_pdf_is_refused(client, world, inspection, survey):
    client.force_login(world.users["editor_a1"])
    response = upload(client, survey, inspection.x, inspection.q1, "手順書.pdf", EXE)
    assert response.status_code == 400
    answer = answer_of(survey, inspection.x, inspection.q1)
    errors = response.context["form"].errors.as_data()[f"file_{answer.pk}"]
    assert [error.code for error in errors] == ["refused"]
    assert str(errors[0].message) in response.content.decode()
    assert not InspectionEvidence.objects.exists()
    assert answer_of(survey, inspection.x, inspection.q1).answered_by is None


def test_a_pdf_is_kept_privately_and_downloaded_only_by_who_sees_the_answer(
    client, world, inspection, survey
):
    client.force_login(world.users["editor_a1"])
    response = upload(client, survey, inspection.x, inspection.q1, "ID管理手順書.pdf", PDF)
    assert response.status_code == 302
    evidence = InspectionEvidence.objects.get()
    assert evidence.original_name == "ID管理手順書.pdf"
    assert evidence.uploaded_by == world.users["editor_a1"]
    stored = Path(evidence.file.path).resolve()
    assert stored.is_relative_to(Path(settings.KARTE_PRIVATE_FILES_DIR).resolve())
    assert not stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert "ID管理" not in stored.name  # nothing of the user's file name reaches the disk
    assert stored.read_bytes() == PDF

    page = client.get(questionnaire_url(survey, inspection.x)).content.decode()
    url = reverse("inspections:evidence_download", kwargs={"pk": evidence.pk})
    assert url in page and "ID管理手順書.pdf" in page

    for role, expected in (
        ("editor_a1", 200),
        ("viewer_a1", 200),
        ("office_a", 200),
        ("auditor_a", 200),
        ("editor_a2", 404),
        ("office_b", 404),
        ("no_role", 403),
    ):
        client.force_login(world.users[role])
        response = client.get(url)
        assert response.status_code == expected, role
        if expected == 200:
            assert b"".join(response.streaming_content) == PDF
            assert response["Content-Disposition"].startswith("attachment")
            assert response["Content-Security-Policy"] == "sandbox"


def test_evidence_is_removed_only_while_the_answer_may_change(client, world, inspection, survey):
    client.force_login(world.users["editor_a1"])
    upload(client, survey, inspection.x, inspection.q1, "log.pdf", PDF)
    evidence = InspectionEvidence.objects.get()
    delete_url = reverse("inspections:evidence_delete", kwargs={"pk": evidence.pk})

    for role, expected in (("editor_a2", 404), ("viewer_a1", 403), ("auditor_a", 403), ("office_b", 404)):
        client.force_login(world.users[role])
        assert client.post(delete_url).status_code == expected, role
    client.logout()
    assert client.post(delete_url).url.startswith(reverse("login"))
    assert InspectionEvidence.objects.filter(pk=evidence.pk).exists()

    rounds.close_round(survey, world.users["office_a"])
    client.force_login(world.users["editor_a1"])
    assert client.post(delete_url).status_code == 302
    assert InspectionEvidence.objects.filter(pk=evidence.pk).exists()
    assert Path(evidence.file.path).exists()


def test_the_editor_removes_a_wrong_file(
    client, world, inspection, survey, django_capture_on_commit_callbacks
):
    client.force_login(world.users["editor_a1"])
    upload(client, survey, inspection.x, inspection.q1, "wrong.pdf", PDF)
    evidence = InspectionEvidence.objects.get()
    path = Path(evidence.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("inspections:evidence_delete", kwargs={"pk": evidence.pk}))
    assert response.status_code == 302
    assert not InspectionEvidence.objects.exists()
    assert not path.exists()
    assert evidence.history.model.objects.filter(id=evidence.pk, history_type="-").exists()
