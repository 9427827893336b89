"""The question set: the office installs the defaults (once) and edits them; departments only read."""

from __future__ import annotations

from django.forms.models import model_to_dict
from django.urls import reverse

from karte.inspections import services
from karte.inspections.defaults import DEFAULT_SECTIONS
from karte.inspections.models import InspectionQuestion, InspectionSection

REQUIRED_SECTIONS = {
    "組織体制",
    "アクセス制御",
    "ログ管理",
    "バックアップ",
    "パッチ適用・脆弱性対策",
    "外部委託管理",
    "物理的セキュリティ",
    "教育・訓練",
    "インシデント対応",
}


def test_installing_the_defaults_twice_adds_them_once(world):
    office = world.users["office_a"]
    expected = sum(len(section.questions) for section in DEFAULT_SECTIONS)
    assert 25 <= expected <= 40
    assert services.install_default_questions(world.body_a, office) == expected
    assert set(InspectionSection.objects.filter(body=world.body_a).values_list("name", flat=True)) >= (
        REQUIRED_SECTIONS
    )
    # The office rewords one question and retires another; installing again keeps both as they are.
    edited = InspectionQuestion.objects.filter(section__body=world.body_a).first()
    InspectionQuestion.objects.filter(pk=edited.pk).update(text="当課の言い方に直した設問", active=False)
    assert services.install_default_questions(world.body_a, office) == 0
    assert InspectionQuestion.objects.filter(section__body=world.body_a).count() == expected
    assert InspectionQuestion.objects.get(pk=edited.pk).text == "当課の言い方に直した設問"
    # Another body gets its own copy.
    assert services.install_default_questions(world.body_b, world.users["office_b"]) == expected


def test_the_office_installs_the_defaults_from_the_questions_page(client, world):
    client.force_login(world.users["office_a"])
    page = client.get(reverse("inspections:inspectionquestion_list")).content.decode()
    install = reverse("inspections:install_defaults")
    assert install in page
    response = client.post(install)
    assert response.status_code == 302
    assert InspectionQuestion.objects.filter(section__body=world.body_a).exists()
    assert not InspectionQuestion.objects.filter(section__body=world.body_b).exists()
    section = InspectionSection.objects.get(body=world.body_a, name="ログ管理")
    assert section.history.first().history_user == world.users["office_a"]
    client.force_login(world.users["editor_a1"])
    listed = client.get(reverse("inspections:inspectionquestion_list"))
    assert install not in listed.content.decode()
    assert len(listed.context["table"].rows) == InspectionQuestion.objects.count()


def test_forged_install_posts_change_nothing(client, world):
    for role, expected in (("editor_a1", 403), ("viewer_a1", 403), ("auditor_a", 403), ("no_role", 403)):
        client.force_login(world.users[role])
        assert client.post(reverse("inspections:install_defaults")).status_code == expected, role
    client.logout()
    assert client.post(reverse("inspections:install_defaults")).url.startswith(reverse("login"))
    assert not InspectionQuestion.objects.exists()
    assert not InspectionSection.objects.exists()


def test_a_system_administrator_names_the_body(client, world):
    client.force_login(world.users["superuser"])
    client.post(reverse("inspections:install_defaults"))
    assert not InspectionSection.objects.exists()
    client.post(reverse("inspections:install_defaults"), {"body": world.body_b.pk})
    assert InspectionSection.objects.filter(body=world.body_b).exists()
    assert not InspectionSection.objects.filter(body=world.body_a).exists()


def test_a_malformed_body_installs_nothing(client, world):
    client.force_login(world.users["superuser"])
    for raw in ("²", "abc", "-1"):
        response = client.post(reverse("inspections:install_defaults"), {"body": raw})
        assert response.status_code == 302, raw
    assert not InspectionSection.objects.exists()


def test_an_answered_question_cannot_be_deleted_only_retired(client, world, inspection, survey):
    client.force_login(world.users["office_a"])
    before = model_to_dict(inspection.q1)
    response = client.post(reverse("inspections:inspectionquestion_delete", kwargs={"pk": inspection.q1.pk}))
    assert response.status_code == 302
    assert InspectionQuestion.objects.filter(pk=inspection.q1.pk).exists()
    inspection.q1.refresh_from_db()
    assert model_to_dict(inspection.q1) == before


def test_a_section_name_is_unique_in_the_body(client, world, inspection):
    client.force_login(world.users["office_a"])
    response = client.post(reverse("inspections:inspectionsection_add"), {"name": "アクセス制御", "order": 5})
    assert response.status_code == 400
    assert InspectionSection.objects.filter(body=world.body_a, name="アクセス制御").count() == 1
    response = client.post(reverse("inspections:inspectionsection_add"), {"name": "情報資産管理", "order": 5})
    assert response.status_code == 302
    assert InspectionSection.objects.get(name="情報資産管理").body == world.body_a
