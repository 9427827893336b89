"""The office manages people: who may sign in, with which role, in which unit."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from karte.core.audit import TrailFilter, audit_trail
from karte.core.choices import Role
from karte.core.scoping import scope_for

STRONG = "kinmokusei-2026-aki"


def add_person(client, world, **overrides):
    data = {
        "username": "tanaka",
        "last_name": "田中",
        "first_name": "花子",
        "email": "tanaka@example.jp",
        "role": Role.EDITOR,
        "unit": world.section_a2.pk,
        "is_active": "on",
        "password": STRONG,
        **overrides,
    }
    return client.post(reverse("core:person_add"), data)


def test_the_office_adds_a_department_editor_who_then_sees_only_their_department(client, world):
    client.force_login(world.users["office_a"])

    response = add_person(client, world)

    assert response.status_code == 302
    tanaka = get_user_model().objects.get(username="tanaka")
    assert tanaka.check_password(STRONG)
    scope = scope_for(tanaka)
    assert (scope.role, scope.department_id) == (Role.EDITOR, world.dept_a2.pk)
    listing = client.get(reverse("core:person_list")).content.decode()
    assert "tanaka" in listing and "健康医療総務課" in listing


def test_a_weak_password_is_refused_with_a_message_and_nobody_is_created(client, world):
    client.force_login(world.users["office_a"])

    response = add_person(client, world, password="12345")

    assert response.status_code == 400
    assert not get_user_model().objects.filter(username="tanaka").exists()


def test_the_office_cannot_place_a_person_in_another_body(client, world):
    client.force_login(world.users["office_a"])

    response = add_person(client, world, unit=world.section_b1.pk)

    assert response.status_code == 400
    assert not get_user_model().objects.filter(username="tanaka").exists()


def test_a_role_change_is_in_the_audit_trail_with_who_made_it(client, world):
    client.force_login(world.users["office_a"])
    viewer = world.users["viewer_a1"]
    data = {"username": viewer.username, "role": Role.EDITOR, "unit": world.section_a1.pk, "is_active": "on"}

    response = client.post(reverse("core:person_edit", kwargs={"pk": viewer.pk}), data)

    assert response.status_code == 302
    entries = audit_trail(world.users["auditor_a"], TrailFilter(model="core.membership"), limit=10)
    latest = entries[0]
    assert latest.user == "office_a"
    assert any(c.old == Role.VIEWER.label and c.new == Role.EDITOR.label for c in latest.changes)


def test_signing_in_can_be_withdrawn(client, world):
    client.force_login(world.users["office_a"])
    editor = world.users["editor_a1"]
    data = {"username": editor.username, "role": Role.EDITOR, "unit": world.section_a1.pk}

    client.post(reverse("core:person_edit", kwargs={"pk": editor.pk}), data)

    editor.refresh_from_db()
    assert editor.is_active is False
    assert scope_for(editor).role is None
