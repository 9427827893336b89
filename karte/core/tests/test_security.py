"""What a browser and an attacker see: CSP, no inline code, login throttling, cookies, CSRF, login wall."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from karte.core.choices import ImportJobStatus
from karte.core.importing.jobs import start_import
from karte.core.models import ImportJob, OrgUnit
from karte.core.tests.factories import PASSWORD


class InlineCode(HTMLParser):
    """Collect what a strict CSP would block: inline scripts, style attributes and elements, handlers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.json_scripts = 0
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value}>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            self._script = {"attrs": attributes, "body": ""}

    def handle_data(self, data):
        if self._script is not None:
            self._script["body"] += data

    def handle_endtag(self, tag):
        if tag != "script" or self._script is None:
            return
        attributes, body = self._script["attrs"], self._script["body"]
        if body.strip():
            if attributes.get("type") == "application/json":
                self.json_scripts += 1
            else:
                self.problems.append(f"inline script: {body.strip()[:80]}")
        elif not attributes.get("src"):
            self.problems.append("script without src")
        self._script = None


def inline_code(html: str) -> InlineCode:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser


def csp_directives(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def make_job(world, *, valid: bool = False) -> ImportJob:
    name = "高齢介護課" if valid else ""
    rows = (
        f"団体コード,団体名,部局コード,部局名,所属コード,所属名\r\n270008,大阪府,06,福祉部,06002,{name}\r\n"
    )
    upload = SimpleUploadedFile("org.csv", rows.encode("utf-8"))
    return start_import("organisation", upload, world.users["office_a"])


def office_pages(world) -> list[str]:
    job = make_job(world)
    return [
        reverse("core:dashboard"),
        reverse("core:orgunit_list"),
        reverse("core:orgunit_list") + "?kind=section&q=福祉&sort=-code",
        reverse("core:orgunit_detail", kwargs={"pk": world.section_a1.pk}),
        reverse("core:orgunit_history", kwargs={"pk": world.section_a1.pk}),
        reverse("core:orgunit_edit", kwargs={"pk": world.section_a1.pk}),
        reverse("core:orgunit_add"),
        reverse("core:import_list"),
        reverse("core:import_new", kwargs={"kind": "organisation"}),
        reverse("core:import_job", kwargs={"pk": job.pk}),
        reverse("core:audit_trail"),
        reverse("ledger:ledger_list"),
        "/no-such-page/",
        reverse("core:orgunit_detail", kwargs={"pk": world.section_b1.pk}),
    ]


def test_the_login_page_is_served_in_japanese_without_login(client, db):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert '<html lang="ja"' in response.content.decode()


def test_every_page_sends_a_strict_content_security_policy(client, world):
    responses = [client.get(reverse("login"))]
    client.force_login(world.users["office_a"])
    responses += [client.get(url) for url in office_pages(world)]
    client.force_login(world.users["editor_a1"])
    responses.append(client.get(reverse("core:audit_trail")))

    assert {r.status_code for r in responses} == {200, 403, 404}
    for response in responses:
        directives = csp_directives(response)
        where = response.request["PATH_INFO"]
        assert directives["script-src"] == ["'self'"], where
        assert "'self'" in directives.get("style-src", directives["default-src"]), where
        for values in directives.values():
            assert "'unsafe-inline'" not in values, where
            assert "'unsafe-eval'" not in values, where


def test_no_page_has_inline_script_or_style(client, world):
    client.force_login(world.users["office_a"])
    hostile = '<script>alert(1)</script><b style="x" onclick="y">'
    OrgUnit.objects.filter(pk=world.section_a1.pk).update(name=hostile)
    pages = [(url, client.get(url)) for url in office_pages(world)]
    client.logout()
    pages.append(("login", client.get(reverse("login"))))

    for url, response in pages:
        html = response.content.decode()
        assert inline_code(html).problems == [], url
    detail = dict(pages)[reverse("core:orgunit_detail", kwargs={"pk": world.section_a1.pk})]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail.content.decode()


def test_the_dashboard_chart_data_is_inert_json(client, world):
    client.force_login(world.users["office_a"])

    html = client.get(reverse("core:dashboard")).content.decode()

    found = inline_code(html)
    assert found.problems == []
    assert found.json_scripts == 1


def login(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_the_real_login_form_logs_in_with_the_right_password(client, world):
    response = login(client, "office_a", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("core:dashboard")
    assert client.session["_auth_user_id"] == str(world.users["office_a"].pk)


def test_five_wrong_passwords_lock_the_account_even_for_the_right_password(client, world):
    # The lockout response itself is checked by the next test; here only what gets in.
    client.raise_request_exception = False
    for _ in range(5):
        response = login(client, "office_a", "wrong-password-123")
        assert response.status_code != 302
        assert "_auth_user_id" not in client.session

    response = login(client, "office_a", PASSWORD)

    assert "_auth_user_id" not in client.session
    assert response.status_code != 302
    assert client.get(reverse("core:dashboard")).status_code == 302


def test_a_locked_out_person_gets_a_page_rather_than_a_server_error(client, world):
    client.raise_request_exception = False
    for _ in range(5):
        login(client, "office_a", "wrong-password-123")

    response = login(client, "office_a", PASSWORD)

    assert response.status_code in (403, 429)
    assert '<html lang="ja"' in response.content.decode()


def test_other_people_can_still_log_in_while_one_account_is_locked(client, world):
    client.raise_request_exception = False
    for _ in range(6):
        login(client, "office_a", "wrong-password-123")

    response = login(client, "editor_a1", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(world.users["editor_a1"].pk)


def test_the_session_cookie_is_httponly_and_samesite_lax(client, world):
    response = login(client, "office_a", PASSWORD)

    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_a_post_without_csrf_token_is_refused(world):
    job = make_job(world, valid=True)
    assert job.status == ImportJobStatus.PREVIEWED
    assert job.preview["counts"]["new"] == 1
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(world.users["office_a"])
    before = (OrgUnit.objects.count(), OrgUnit.history.count())

    response = csrf_client.post(reverse("core:import_apply", kwargs={"pk": job.pk}))

    assert response.status_code == 403
    assert "ページの有効期限が切れました" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJobStatus.PREVIEWED
    assert (OrgUnit.objects.count(), OrgUnit.history.count()) == before


def test_a_post_with_the_csrf_token_from_the_page_is_accepted(world):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(world.users["office_a"])
    page = csrf_client.get(reverse("core:orgunit_edit", kwargs={"pk": world.section_a1.pk}))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    unit = world.section_a1
    data = {
        "csrfmiddlewaretoken": token,
        "kind": "section",
        "code": unit.code,
        "name": "CSRF確認課",
        "parent": world.dept_a1.pk,
        "valid_from": unit.valid_from.isoformat(),
    }

    response = csrf_client.post(reverse("core:orgunit_edit", kwargs={"pk": unit.pk}), data)

    assert response.status_code == 302
    assert OrgUnit.objects.get(pk=unit.pk).name == "CSRF確認課"


def test_anonymous_visitors_are_sent_to_the_login_page(client, world):
    job = make_job(world)
    urls = [
        reverse("core:dashboard"),
        reverse("core:orgunit_list"),
        reverse("core:orgunit_list") + "?export=xlsx",
        reverse("core:orgunit_detail", kwargs={"pk": world.section_a1.pk}),
        reverse("core:orgunit_history", kwargs={"pk": world.section_a1.pk}),
        reverse("core:import_list"),
        reverse("core:import_new", kwargs={"kind": "organisation"}),
        reverse("core:import_job", kwargs={"pk": job.pk}),
        reverse("core:import_errors", kwargs={"pk": job.pk}),
        reverse("core:audit_trail"),
        reverse("core:audit_trail") + "?export=csv",
        reverse("ledger:ledger_list"),
    ]

    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url

    response = client.post(reverse("core:import_apply", kwargs={"pk": job.pk}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    job.refresh_from_db()
    assert job.status == ImportJobStatus.PREVIEWED
