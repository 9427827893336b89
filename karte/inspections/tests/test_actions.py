"""Follow-up actions: overdue ones come first in red, on the dashboard and on the system's karte."""

from __future__ import annotations

import datetime

from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from karte.inspections.models import FollowUpAction
from karte.inspections.tests.conftest import set_results


def make_action(system, description: str, due_on, done_on=None) -> FollowUpAction:
    return FollowUpAction.objects.create(
        unit=system.unit,
        system=system,
        description=description,
        person_in_charge="情報政策課 山田",
        due_on=due_on,
        done_on=done_on,
    )


def test_an_action_past_its_due_date_is_overdue_until_done(world, inspection):
    today = timezone.localdate()
    late = make_action(inspection.x, "ログ点検手順の作成", today - datetime.timedelta(days=1))
    due_today = make_action(inspection.x, "研修の受講", today)
    done_late = make_action(inspection.x, "パッチ適用", today - datetime.timedelta(days=30), today)
    assert (late.status, due_today.status, done_late.status) == ("overdue", "open", "done")
    assert late.get_status_display() != due_today.get_status_display()


def test_the_list_puts_overdue_actions_first_in_red(client, world, inspection):
    today = timezone.localdate()
    make_action(inspection.x, "OPEN-LATER", today + datetime.timedelta(days=60))
    make_action(
        inspection.x, "DONE-ONE", today - datetime.timedelta(days=90), today - datetime.timedelta(days=80)
    )
    make_action(inspection.x, "OVERDUE-ONE", today - datetime.timedelta(days=3))
    make_action(inspection.x, "OPEN-SOON", today + datetime.timedelta(days=5))
    client.force_login(world.users["editor_a1"])
    response = client.get(reverse("inspections:followupaction_list"))
    rows = response.context["table"].rows
    assert [row[0].text for row in rows] == ["OVERDUE-ONE", "OPEN-SOON", "OPEN-LATER", "DONE-ONE"]
    assert [row.tone for row in rows] == ["danger", "", "", ""]
    assert 'class="k-row--danger"' in response.content.decode()

    overdue_only = client.get(reverse("inspections:followupaction_list") + "?status=overdue")
    assert [row[0].text for row in overdue_only.context["table"].rows] == ["OVERDUE-ONE"]


def test_the_dashboard_counts_the_overdue_actions_the_user_may_see(client, world, inspection):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    make_action(inspection.x, "遅れ1", yesterday)
    make_action(inspection.x, "遅れ2", yesterday)
    make_action(inspection.y, "遅れ3", yesterday)
    make_action(inspection.y, "完了", yesterday, yesterday)

    def card(role):
        client.force_login(world.users[role])
        cards = client.get(reverse("core:dashboard")).context["module_cards"]
        return next(c for c in cards if c["url"].startswith(reverse("inspections:followupaction_list")))

    assert card("office_a")["value"] == 3
    assert card("editor_a1")["value"] == 2
    assert card("editor_a2")["value"] == 1
    assert card("office_b")["value"] == 0


def test_an_action_is_added_prefilled_from_a_not_implemented_answer(client, world, inspection, survey):
    i = inspection
    client.force_login(world.users["editor_a1"])
    url = reverse("inspections:followupaction_add") + f"?system={i.x.pk}&question={i.q3.pk}&round={survey.pk}"
    form = client.get(url).context["form"]
    assert form.initial["system"] == i.x.pk
    assert form.initial["question"] == i.q3.pk
    assert form.initial["round"] == survey.pk
    assert form.initial["unit"] == world.section_a1.pk
    assert i.q3.text in form.initial["description"]

    # Another department's system is not pre-filled, and cannot be posted either.
    other = client.get(reverse("inspections:followupaction_add") + f"?system={i.y.pk}").context["form"]
    assert "system" not in other.initial
    data = {
        "system": i.y.pk,
        "unit": world.section_a1.pk,
        "description": "FORGED",
        "person_in_charge": "誰か",
        "due_on": "2030-03-31",
    }
    assert client.post(reverse("inspections:followupaction_add"), data).status_code == 400
    assert not FollowUpAction.objects.exists()

    data.update(system=i.x.pk, question=i.q3.pk, round=survey.pk, description="バックアップ取得の設定")
    response = client.post(reverse("inspections:followupaction_add"), data)
    assert response.status_code == 302
    action = FollowUpAction.objects.get()
    assert (action.system, action.question, action.round, action.unit) == (
        i.x,
        i.q3,
        survey,
        world.section_a1,
    )
    assert action.history.first().history_user == world.users["editor_a1"]


def test_a_malformed_prefill_is_ignored_not_an_error(client, world, inspection, survey):
    client.force_login(world.users["editor_a1"])
    add = reverse("inspections:followupaction_add")
    # "²" passes str.isdigit() but not int().
    for query in ("?system=²", f"?system={inspection.x.pk}&question=²&round=²", "?system=abc&round=-1"):
        response = client.get(add + query)
        assert response.status_code == 200, query
    assert response.context["form"].initial == {}
    only_system = client.get(add + f"?system={inspection.x.pk}&question=²&round=²").context["form"]
    assert only_system.initial == {"system": inspection.x.pk, "unit": world.section_a1.pk}


def test_the_unit_must_be_in_the_systems_department(client, world, inspection):
    client.force_login(world.users["office_a"])
    data = {
        "system": inspection.x.pk,
        "unit": world.section_a2.pk,
        "description": "対策",
        "person_in_charge": "担当",
        "due_on": "2030-03-31",
    }
    response = client.post(reverse("inspections:followupaction_add"), data)
    assert response.status_code == 400
    assert "unit" in response.context["form"].errors
    assert not FollowUpAction.objects.exists()


def test_forged_posts_to_another_departments_action_change_nothing(client, world, inspection):
    action = make_action(inspection.y, "健康医療部の対策", timezone.localdate())
    before = model_to_dict(action)
    client.force_login(world.users["editor_a1"])
    edit = reverse("inspections:followupaction_edit", kwargs={"pk": action.pk})
    data = {key: value for key, value in before.items() if value is not None}
    assert client.post(edit, {**data, "description": "FORGED"}).status_code == 404
    delete = reverse("inspections:followupaction_delete", kwargs={"pk": action.pk})
    assert client.post(delete).status_code == 404
    action.refresh_from_db()
    assert model_to_dict(action) == before


def test_the_karte_shows_the_latest_score_by_section_and_open_actions(client, world, inspection, survey):
    i = inspection
    set_results(survey, {(i.x, i.q1): "implemented", (i.x, i.q2): "not_implemented", (i.x, i.q3): "partly"})
    make_action(i.x, "権限の棚卸し", timezone.localdate() + datetime.timedelta(days=10))
    make_action(i.x, "済んだ対策", timezone.localdate(), timezone.localdate())
    client.force_login(world.users["viewer_a1"])
    response = client.get(i.x.get_absolute_url())
    body = response.content.decode()
    assert 'id="self-inspection"' in body
    section = next(s for s in response.context["karte_sections"] if "inspection" in s)["inspection"]
    # アクセス制御: 1 + 0 over 2 = 50 %; バックアップ: 0.5 over 1 = 50 %; overall 1.5 over 3 = 50 %.
    assert [(s.label, str(s.percent)) for s in section.sections] == [
        ("アクセス制御", "50.0"),
        ("バックアップ", "50.0"),
    ]
    assert "権限の棚卸し" in body
    assert "済んだ対策" not in body


def test_a_system_never_inspected_has_no_self_inspection_section(client, world, inspection):
    client.force_login(world.users["office_a"])
    response = client.get(inspection.x.get_absolute_url())
    assert response.status_code == 200
    assert 'id="self-inspection"' not in response.content.decode()
