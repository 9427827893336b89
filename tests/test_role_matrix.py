"""Every URL of the site, walked with every role: nothing shown or accepted beyond the role's scope.

The expectations come from the rules as the issue states them (an oracle written here), not from the
scoping code under test. A URL whose view is not one of the generic record views must be listed in
SPECIAL_PAGES, so a module that adds a page without thinking about roles fails this test.
"""

from __future__ import annotations

import datetime
import io
from importlib import import_module

import openpyxl
import pytest
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from karte.core import rounds
from karte.core.generic import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
)
from karte.core.importing.jobs import start_import
from karte.core.models import OrgUnit, RoundParticipation, SurveyRound
from karte.core.tests.factories import World
from karte.procedures.models import FormTemplate, Hearing, Procedure, ProcedureAnswer, SupportCase
from karte.systems import services as system_services
from karte.systems.models import Contract, Cost, System, WorkingGroup
from karte.systems.models import Vendor as SystemVendor
from tests.ledger.models import Ledger

ROLES = [
    "anonymous",
    "no_role",
    "office_a",
    "editor_a1",
    "editor_a2",
    "viewer_a1",
    "auditor_a",
    "office_b",
    "superuser",
]
MEMBERS = {"office_a", "editor_a1", "editor_a2", "viewer_a1", "auditor_a", "office_b", "superuser"}
WRITERS = {"office_a", "editor_a1", "editor_a2", "office_b", "superuser"}
OFFICES = {"office_a", "office_b", "superuser"}
AUDIT_READERS = {"office_a", "auditor_a", "office_b", "superuser"}
# Records only the office adds (the organisation tree, a body's form templates).
OFFICE_ADDS = {OrgUnit, FormTemplate, WorkingGroup}


# --- the oracle ------------------------------------------------------------------------------------
def owner_unit(record) -> OrgUnit:
    owner = record
    for part in filter(None, type(record).scope_path.split("__")):
        owner = getattr(owner, part)
    return owner


def home(world: World, role: str):
    return {
        "office_a": (world.body_a, None),
        "auditor_a": (world.body_a, None),
        "editor_a1": (world.body_a, world.dept_a1),
        "viewer_a1": (world.body_a, world.dept_a1),
        "editor_a2": (world.body_a, world.dept_a2),
        "office_b": (world.body_b, None),
    }.get(role)


def may_view(world, role, record) -> bool:
    if role == "superuser":
        return True
    if role not in MEMBERS:
        return False
    body, department = home(world, role)
    unit = owner_unit(record)
    if unit.body_id != body.pk:
        return False
    return department is None or not type(record).scope_by_department or unit.department_id == department.pk


def may_change(world, role, record) -> bool:
    if role == "superuser":
        return True
    if role not in WRITERS:
        return False
    body, department = home(world, role)
    unit = owner_unit(record)
    if unit.body_id != body.pk:
        return False
    if department is None:
        return True
    return type(record).scope_by_department and unit.department_id == department.pk


# --- samples: every registry model the site has, with records in every corner of the world ---------
def ledger_samples(world):
    return [
        Ledger.objects.create(name="LEDGER-A1", unit=world.section_a1, amount_yen=1),
        Ledger.objects.create(name="LEDGER-A2", unit=world.section_a2, amount_yen=2),
        Ledger.objects.create(name="LEDGER-B1", unit=world.section_b1, amount_yen=3),
    ]


def orgunit_samples(world):
    return [world.section_a1, world.dept_a2, world.section_b1, world.body_b]


def system_samples(world):
    return [
        System.objects.create(unit=world.section_a1, code="S-A1", name="KARTE-SYSTEM-A1"),
        System.objects.create(unit=world.section_a2, code="S-A2", name="KARTE-SYSTEM-A2"),
        System.objects.create(unit=world.section_b1, code="S-B1", name="KARTE-SYSTEM-B1"),
    ]


def contract_samples(world):
    contracts = []
    for unit, tag in ((world.section_a1, "A1"), (world.section_a2, "A2"), (world.section_b1, "B1")):
        system = System.objects.create(unit=unit, code=f"C-{tag}", name=f"CONTRACTED-{tag}")
        vendor = system_services.find_or_create_vendor(system.body_id, f"CONTRACT-VENDOR-{tag}")
        contract = Contract(
            system=system, vendor=vendor, kind="maintenance", fy_from=2012, amount_thousand_yen=1
        )
        contracts.append(system_services.save_contract(contract))
    return contracts


def cost_samples(world):
    costs = []
    for unit, tag in ((world.section_a1, "A1"), (world.section_a2, "A2"), (world.section_b1, "B1")):
        system = System.objects.create(unit=unit, code=f"K-{tag}", name=f"COSTED-{tag}")
        costs.append(Cost.objects.create(system=system, fiscal_year=2024, budget_thousand_yen=1))
    return costs


def vendor_samples(world):
    return [
        system_services.find_or_create_vendor(world.body_a.pk, "KARTE-VENDOR-A"),
        system_services.find_or_create_vendor(world.body_b.pk, "KARTE-VENDOR-B"),
    ]


def working_group_samples(world):
    groups = [
        WorkingGroup.objects.create(body=world.body_a, name="KARTE-WG-A"),
        WorkingGroup.objects.create(body=world.body_b, name="KARTE-WG-B"),
    ]
    groups[0].member_units.set([world.dept_a1, world.dept_a2])
    groups[1].member_units.set([world.dept_b1])
    return groups


def procedure_samples(world):
    # No procedure ID, so that str() is the name alone, one cell in every table and sheet.
    return [
        Procedure.objects.create(unit=world.section_a1, name="KARTE-PROCEDURE-A1"),
        Procedure.objects.create(unit=world.section_a2, name="KARTE-PROCEDURE-A2"),
        Procedure.objects.create(unit=world.section_b1, name="KARTE-PROCEDURE-B1"),
    ]


def support_case_samples(world):
    cases = []
    for unit, tag in ((world.section_a1, "A1"), (world.section_a2, "A2"), (world.section_b1, "B1")):
        case = SupportCase.objects.create(unit=unit, title=f"KARTE-SUPPORT-{tag}")
        case.procedures.add(Procedure.objects.create(unit=unit, name=f"SUPPORTED-{tag}"))
        cases.append(case)
    return cases


def hearing_samples(world):
    return [
        Hearing.objects.create(
            case=SupportCase.objects.create(unit=unit, title=f"HEARD-{tag}"),
            held_on=datetime.date(2024, 5, 1),
        )
        for unit, tag in ((world.section_a1, "A1"), (world.section_a2, "A2"), (world.section_b1, "B1"))
    ]


def form_template_samples(world):
    return [
        FormTemplate.objects.create(body=world.body_a, name="KARTE-TEMPLATE-A"),
        FormTemplate.objects.create(body=world.body_b, name="KARTE-TEMPLATE-B"),
    ]


SAMPLES = {
    OrgUnit: orgunit_samples,
    Ledger: ledger_samples,
    System: system_samples,
    Contract: contract_samples,
    Cost: cost_samples,
    SystemVendor: vendor_samples,
    WorkingGroup: working_group_samples,
    Procedure: procedure_samples,
    SupportCase: support_case_samples,
    Hearing: hearing_samples,
    FormTemplate: form_template_samples,
}


# Apps added later keep their samples and special pages next to their own tests (tests/role_samples.py).
ROLE_SAMPLE_APPS = ["security", "inspections", "vulnerabilities", "disposals", "incidents"]
SPECIAL_PAGES: dict = {}
for _app in ROLE_SAMPLE_APPS:
    _module = import_module(f"karte.{_app}.tests.role_samples")
    SAMPLES.update(_module.SAMPLES)
    SPECIAL_PAGES.update(_module.SPECIAL_PAGES)
    OFFICE_ADDS |= _module.OFFICE_ADDS


def marker(record) -> str:
    # A system's str() is "code name", two cells in every table and sheet; its name alone is distinctive.
    return record.name if isinstance(record, System) else str(record)


# --- walking the URLs ------------------------------------------------------------------------------
def walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def classify(pattern: URLPattern):
    view = getattr(pattern.callback, "view_class", None)
    takes_pk = "pk" in pattern.pattern.converters
    if view is None:
        return None
    for base, kind in (
        (ObjectListView, "list"),
        (ObjectHistoryView, "history"),
        (ObjectDetailView, "detail"),
        (ObjectDeleteView, "delete"),
    ):
        if issubclass(view, base):
            return kind, view
    if issubclass(view, ObjectEditView):
        return ("edit" if takes_pk else "add"), view
    return None


# Pages that are not generic record views: who gets what. ("record", Model) is a page of one record
# (a file download, a karte section): 200 for those who may see the record, 404 for other members;
# ("record-change", Model) the same for a page that changes the record, open to writers only.
SPECIAL_PAGES |= {
    "login": "public",
    "logout": "post-only",
    "set_language": "redirect",
    "core:dashboard": "members-and-no-role",
    "core:import_list": "writers",
    "core:import_new": "importer",
    "core:import_job": "job",
    "core:import_apply": "job",
    "core:import_errors": "job",
    "core:audit_trail": "audit",
    "core:person_list": "office",
    "core:person_add": "office",
    "core:person_edit": "person",
    "systems:lock_in": "members",
    "systems:renewals": "members",
    "systems:platform": "members",
    "systems:portfolio": "members",
    "systems:settings": "office",
    "systems:system_karte_xlsx": "karte-export",
    "systems:system_karte_pdf": "karte-export",
    "systems:kartes_xlsx": "members",
    "systems:kartes_pdf": "members",
    "systems:vendor_merge": "vendor-merge",
    "procedures:kpis": "members",
    "procedures:support_overview": "office",
}
# Survey rounds: the pages of one round are walked by test_round_pages_follow_the_roles below.
SPECIAL_PAGES.update(
    {
        "core:round_list": "members",
        "core:round_open": "office",
        "core:round_detail": "round",
        "core:round_remind": "post-only",
        "core:round_send_back": "post-only",
        "core:round_close": "post-only",
        "procedures:round_answers": "round",
        "procedures:answers_xlsx": "round",
        "procedures:answer_edit": "round",
        "procedures:round_submit": "post-only",
    }
)


@pytest.fixture
def samples(world):
    return {model: build(world) for model, build in SAMPLES.items()}


def test_every_url_is_covered_by_the_matrix():
    unknown = [
        name
        for name, pattern in walk(get_resolver().url_patterns)
        if classify(pattern) is None and name not in SPECIAL_PAGES
    ]
    assert unknown == [], f"add these URLs to the role matrix: {unknown}"


def test_every_registry_model_has_samples():
    models = {
        view.model for _n, p in walk(get_resolver().url_patterns) if (c := classify(p)) for view in [c[1]]
    }
    assert models <= set(SAMPLES), f"add samples for {models - set(SAMPLES)}"


def login_as(client, world, role):
    client.logout()
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def text_of(response) -> str:
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row if c)
    return response.content.decode("utf-8-sig")


@pytest.mark.parametrize("role", ROLES)
def test_record_pages_show_only_what_the_role_may_see(client, world, samples, role):
    login_as(client, world, role)
    for name, pattern in walk(get_resolver().url_patterns):
        found = classify(pattern)
        if found is None:
            continue
        kind, view = found
        records = samples[view.model]
        if kind == "list":
            for suffix in ("", "?export=csv", "?export=xlsx"):
                response = client.get(reverse(name) + suffix)
                if role == "anonymous":
                    assert response.status_code == 302, name
                    continue
                if role == "no_role":
                    assert response.status_code == 403, name
                    continue
                assert response.status_code == 200, (name, role)
                body = text_of(response)
                for record in records:
                    shown = marker(record) in body
                    assert shown == may_view(world, role, record), (name + suffix, role, str(record))
        elif kind == "add":
            response = client.get(reverse(name))
            expected = 302 if role == "anonymous" else (200 if role in WRITERS else 403)
            if view.model in OFFICE_ADDS and role in WRITERS:
                expected = 200 if role in OFFICES else 403
            assert response.status_code == expected, (name, role)
        else:
            for record in records:
                response = client.get(reverse(name, kwargs={"pk": record.pk}))
                allowed = (
                    may_view(world, role, record)
                    if kind in ("detail", "history")
                    else may_change(world, role, record)
                )
                if role == "anonymous":
                    assert response.status_code == 302, name
                elif allowed:
                    assert response.status_code == 200, (name, role, str(record))
                else:
                    assert response.status_code in (403, 404), (name, role, str(record), response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_forged_posts_change_nothing_outside_the_scope(client, world, samples, role):
    login_as(client, world, role)
    for name, pattern in walk(get_resolver().url_patterns):
        found = classify(pattern)
        if found is None or found[0] not in ("edit", "delete"):
            continue
        kind, view = found
        for record in samples[view.model]:
            if may_change(world, role, record):
                continue
            before = model_to_dict(record)
            history_before = record.history.count()
            data = {k: v for k, v in before.items() if v is not None}
            data["name"] = "FORGED"
            response = client.post(reverse(name, kwargs={"pk": record.pk}), data)
            assert response.status_code in (302, 403, 404), (name, role)
            if role == "anonymous":
                assert response.url.startswith(reverse("login"))
            assert type(record).objects.filter(pk=record.pk).exists(), (name, role, "deleted")
            record.refresh_from_db()
            assert model_to_dict(record) == before, (name, role)
            assert record.history.count() == history_before


@pytest.mark.parametrize("role", sorted(WRITERS))
def test_forms_refuse_units_outside_the_scope(client, world, samples, role):
    """A writer posting a record into a unit they may not use: the form says no and nothing is saved."""
    login_as(client, world, role)
    for name, pattern in walk(get_resolver().url_patterns):
        found = classify(pattern)
        if found is None or found[0] != "edit":
            continue
        _kind, view = found
        for record in samples[view.model]:
            if not may_change(world, role, record) or not hasattr(record, "unit_id"):
                continue
            for target in (world.section_a1, world.section_a2, world.section_b1):
                probe = type(record)(unit=target)
                if may_change(world, role, probe):
                    continue
                form = view.form_class(instance=record, user=world.users[role])
                data = {k: v for k, v in form.initial.items() if v is not None}
                data["unit"] = target.pk
                response = client.post(reverse(name, kwargs={"pk": record.pk}), data)
                assert response.status_code == 400, (name, role, str(target))
                record.refresh_from_db()
                assert record.unit_id != target.pk


@pytest.fixture
def office_job(world, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from karte.core.exporting import write_csv

    content = write_csv(["名称", "所属コード", "金額"], [["JOB-LEDGER", "06001", 1]])
    return start_import("ledger", SimpleUploadedFile("ledger.csv", content), world.users["office_a"])


def expected_special(kind: str, role: str, name: str, kwargs: dict, world=None, record=None) -> set[int]:
    if kind == "public":
        return {200}
    if kind == "redirect":
        return {302}
    if role == "anonymous":
        return {302}
    if kind == "members-and-no-role":
        return {200}
    if kind == "writers":
        return {200} if role in WRITERS else {403}
    if kind == "importer":
        allowed = OFFICES if kwargs["kind"] == "organisation" else WRITERS
        return {200} if role in allowed else {403}
    if kind == "job":
        if role not in WRITERS:
            return {403}
        ok = {302} if name.endswith("apply") else {200}
        return ok if role in ("office_a", "superuser") else {404}
    if kind == "office":
        return {200} if role in OFFICES else {403}
    if kind == "person":
        if role not in OFFICES:
            return {403}
        return {200} if role in ("office_a", "superuser") else {404}
    if kind == "audit":
        return {200} if role in AUDIT_READERS else {403}
    if kind == "members":
        return {200} if role in MEMBERS else {403}
    if kind == "karte-export":
        if role not in MEMBERS:
            return {403}
        return {200} if may_view(world, role, record) else {404}
    if kind == "vendor-merge":
        # POST only, and only the office changes its body's vendors (nothing chosen: back to the page).
        if role not in OFFICES:
            return {403}
        return {302} if may_change(world, role, record) else {404}
    raise AssertionError(kind)


@pytest.mark.parametrize("role", ROLES)
def test_special_pages_follow_the_roles(client, world, samples, office_job, role):
    login_as(client, world, role)
    for name, pattern in walk(get_resolver().url_patterns):
        kind = SPECIAL_PAGES.get(name)
        if kind is None or kind in ("post-only", "round"):
            continue
        if isinstance(kind, tuple):
            page, model = kind
            for record in samples[model]:
                response = client.get(reverse(name, kwargs={"pk": record.pk}))
                if role == "anonymous":
                    expected = {302}
                elif page == "record":
                    allowed = role in MEMBERS
                    expected = {200} if may_view(world, role, record) else {404}
                else:  # "record-change"
                    allowed = role in WRITERS
                    expected = {200} if may_change(world, role, record) else {404}
                if role != "anonymous" and not allowed:
                    expected = {403}
                assert response.status_code in expected, (name, role, str(record), response.status_code)
            continue
        variants = [{}]
        if "kind" in pattern.pattern.converters:
            variants = [{"kind": "organisation"}, {"kind": "ledger"}]
        elif kind == "person":
            variants = [{"pk": world.users["editor_a1"].pk}]
        elif kind == "karte-export":
            variants = [{"pk": system.pk} for system in samples[System]]
        elif kind == "vendor-merge":
            variants = [{"pk": vendor.pk} for vendor in samples[SystemVendor]]
        elif "pk" in pattern.pattern.converters:
            variants = [{"pk": office_job.pk}]
        for kwargs in variants:
            url = reverse(name, kwargs=kwargs or None)
            posted = name.endswith("apply") or kind == "vendor-merge"
            response = client.post(url) if posted else client.get(url)
            record = System.objects.filter(pk=kwargs["pk"]).first() if kind == "karte-export" else None
            if kind == "vendor-merge":
                record = SystemVendor.objects.get(pk=kwargs["pk"])
            expected = expected_special(kind, role, name, kwargs, world=world, record=record)
            assert response.status_code in expected, (name, kwargs, role)


@pytest.mark.parametrize("role", sorted(AUDIT_READERS))
def test_audit_trail_shows_only_the_readers_body(client, world, samples, role):
    login_as(client, world, role)
    for suffix in ("", "?export=csv", "?export=xlsx"):
        # The ledger's own trail: every module's samples together fill more than the first page.
        body = text_of(client.get(reverse("core:audit_trail") + "?model=ledger.ledger&" + suffix.lstrip("?")))
        for record in samples[Ledger]:
            assert (marker(record) in body) == may_view(world, role, record), (role, suffix, str(record))


# --- survey rounds ---------------------------------------------------------------------------------
@pytest.fixture
def surveys(world):
    """An open procedures round in each body, answered for one procedure in each section."""
    for unit, tag in ((world.section_a1, "A1"), (world.section_a2, "A2"), (world.section_b1, "B1")):
        Procedure.objects.create(unit=unit, name=f"ROUND-PROCEDURE-{tag}")
    return {
        body: rounds.open_round(
            user=world.users[office],
            body=getattr(world, body),
            kind="procedures",
            name=f"KARTE-ROUND-{body}",
            fiscal_year=2025,
            deadline=None,
            fields=["yearly_volume", "status"],
        )
        for body, office in (("body_a", "office_a"), ("body_b", "office_b"))
    }


def round_home_body(world, role):
    return world.body_b if role == "office_b" else world.body_a


@pytest.mark.parametrize("role", ROLES)
def test_round_pages_follow_the_roles(client, world, surveys, role):
    """A department's pages show its answers; the office's and auditor's show the department asked for."""
    login_as(client, world, role)
    department_user = role in ("editor_a1", "editor_a2", "viewer_a1")
    listing = text_of(client.get(reverse("core:round_list"))) if role in MEMBERS else ""
    for survey in surveys.values():
        may_see_round = role == "superuser" or (
            role in MEMBERS and survey.body == round_home_body(world, role)
        )
        assert (survey.name in listing) == may_see_round, (role, survey.name)
        in_round = list(ProcedureAnswer.objects.filter(round=survey).select_related("procedure", "unit"))
        for name in ("core:round_detail", "procedures:round_answers", "procedures:answers_xlsx"):
            for department in {a.department_id for a in in_round}:
                response = client.get(reverse(name, kwargs={"pk": survey.pk}) + f"?department={department}")
                if role == "anonymous":
                    assert response.status_code == 302, name
                    continue
                if role == "no_role":
                    assert response.status_code == 403, name
                    continue
                if not may_see_round:
                    assert response.status_code == 404, (name, role)
                    continue
                assert response.status_code == 200, (name, role)
                body = text_of(response)
                for answer in in_round:
                    expected = (
                        name != "core:round_detail"
                        and may_view(world, role, answer)
                        and (department_user or answer.department_id == department)
                    )
                    assert (answer.procedure.name in body) == expected, (name, role, answer.procedure.name)
        for answer in in_round:
            response = client.get(reverse("procedures:answer_edit", kwargs={"pk": answer.pk}))
            if role == "anonymous":
                expected = 302
            elif role not in WRITERS:
                expected = 403
            else:
                expected = 200 if may_change(world, role, answer) else 404
            assert response.status_code == expected, (role, answer.procedure.name)


def round_state(survey) -> dict:
    return {
        "round": model_to_dict(SurveyRound.objects.get(pk=survey.pk)),
        "participations": [model_to_dict(p) for p in RoundParticipation.objects.order_by("pk")],
        "answers": [model_to_dict(a) for a in ProcedureAnswer.objects.order_by("pk")],
    }


@pytest.mark.parametrize("role", ROLES)
def test_forged_round_posts_change_nothing_outside_the_scope(client, world, surveys, role):
    survey = surveys["body_a"]
    # 健康医療部 has submitted, so editor_a2's own submit is refused too and changes nothing.
    rounds.submit(survey, world.dept_a2.pk, world.users["editor_a2"])
    answer_a1 = ProcedureAnswer.objects.get(round=survey, department=world.dept_a1)
    office = {"office_a", "superuser"}
    posts = [
        (office, "core:round_remind", survey.pk, {}),
        (office, "core:round_send_back", survey.pk, {"department": world.dept_a2.pk}),
        (office, "core:round_close", survey.pk, {}),
        (office | {"editor_a1"}, "procedures:round_submit", survey.pk, {"department": world.dept_a1.pk}),
        (
            office | {"editor_a1"},
            "procedures:answer_edit",
            answer_a1.pk,
            {"yearly_volume": "9", "status": "online"},
        ),
    ]
    before = round_state(survey)
    login_as(client, world, role)
    for allowed, name, pk, data in posts:
        if role in allowed:
            continue
        response = client.post(reverse(name, kwargs={"pk": pk}), data)
        assert response.status_code in (302, 403, 404), (name, role)
        if role == "anonymous":
            assert response.url.startswith(reverse("login"))
    assert round_state(survey) == before, role
