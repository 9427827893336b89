"""The certificates still missing, and attaching one: what the office chases and what a department does."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext

from karte.core.fiscal import format_era_date
from karte.disposals.models import StorageDisposal
from karte.disposals.tests.helpers import PDF, days_ago, form_data, make_disposal, pdf_upload

MISSING = reverse("disposals:missing_certificates")


def edit_url(disposal) -> str:
    return reverse("disposals:storagedisposal_edit", kwargs={"pk": disposal.pk})


def row_of(html: str, text: str) -> str:
    """Return the <tr …> opening tag of the table row that contains `text`."""
    for row in re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.S):
        if text in row:
            return row
    raise AssertionError(f"no row with {text}")


@pytest.fixture
def disposals(world, private_dir):
    a1 = world.section_a1
    certified = make_disposal(a1, "証明書あり端末", disposed_on=days_ago(50))
    certified.certificate.save("attachment.pdf", pdf_upload())
    return {
        "planned": make_disposal(a1, "予定のサーバ"),
        "recent": make_disposal(a1, "先週廃棄したPC", disposed_on=days_ago(5)),
        "old": make_disposal(
            world.section_a2, "去年廃棄したHDD", device_kind="disk", disposed_on=days_ago(40)
        ),
        "complete": certified,
    }


def test_missing_certificates_lists_disposals_done_without_one_oldest_first(client_for, world, disposals):
    html = client_for(world.users["office_a"]).get(MISSING).content.decode()
    assert "先週廃棄したPC" in html
    assert "去年廃棄したHDD" in html
    assert "予定のサーバ" not in html, "not disposed yet: nothing to chase"
    assert "証明書あり端末" not in html, "complete"
    assert html.index("去年廃棄したHDD") < html.index("先週廃棄したPC")


def test_a_row_turns_red_after_30_days_and_shows_the_days_and_department(client_for, world, disposals):
    html = client_for(world.users["office_a"]).get(MISSING).content.decode()
    old = row_of(html, "去年廃棄したHDD")
    recent = row_of(html, "先週廃棄したPC")
    assert "k-row--danger" in old
    assert "k-row--danger" not in recent
    assert ">40<" in old and "健康医療部" in old
    assert ">5<" in recent and "福祉部" in recent


def test_the_office_sees_which_department_to_chase(client_for, world, disposals):
    html = client_for(world.users["office_a"]).get(MISSING).content.decode()
    chase = row_of(html, "健康医療部")
    assert "k-row--danger" in chase, "its certificate is overdue"
    assert "k-row--warning" in row_of(html, ">福祉部<")


def test_a_department_sees_only_its_own_missing_certificates(client_for, world, disposals):
    html = client_for(world.users["editor_a1"]).get(MISSING).content.decode()
    assert "先週廃棄したPC" in html
    assert "去年廃棄したHDD" not in html
    assert "健康医療部" not in html


def test_the_dashboard_counts_the_certificates_missing(client_for, world, disposals):
    card = r'<span class="k-stat__value">(\d+)</span><span class="k-stat__label">[^<]*</span></a>'
    office = client_for(world.users["office_a"]).get(reverse("core:dashboard")).content.decode()
    link = re.search(rf'href="{MISSING}">' + card, office)
    assert link and link.group(1) == "2"
    editor = client_for(world.users["editor_a1"]).get(reverse("core:dashboard")).content.decode()
    assert re.search(rf'href="{MISSING}">' + card, editor).group(1) == "1"


def test_attaching_the_certificate_takes_the_disposal_off_the_list(client_for, world, disposals):
    recent = disposals["recent"]
    client = client_for(world.users["editor_a1"])
    response = client.post(
        edit_url(recent), {**form_data(recent), "certificate": pdf_upload("証明書_先週.pdf")}
    )
    assert response.status_code == 302
    recent.refresh_from_db()
    assert recent.certificate_name == "証明書_先週.pdf"
    assert recent.certificate_received_on == timezone.localdate(), "received today unless told otherwise"
    assert recent.certificate.read() == PDF
    assert "先週廃棄したPC" not in client.get(MISSING).content.decode()

    detail = client.get(recent.get_absolute_url()).content.decode()
    assert reverse("disposals:certificate_download", kwargs={"pk": recent.pk}) in detail
    history = client.get(
        reverse("disposals:storagedisposal_history", kwargs={"pk": recent.pk})
    ).content.decode()
    assert "証明書_先週.pdf" in history
    assert "editor_a1" in history


def test_a_receipt_date_given_with_the_certificate_is_kept(client_for, world, disposals):
    recent = disposals["recent"]
    received = days_ago(2)
    data = {**form_data(recent, certificate_received_on=received.isoformat()), "certificate": pdf_upload()}
    client_for(world.users["editor_a1"]).post(edit_url(recent), data)
    recent.refresh_from_db()
    assert recent.certificate_received_on == received


def test_replacing_the_certificate_keeps_both_in_the_history(client_for, world, disposals):
    complete = disposals["complete"]
    complete.certificate_name = "古い証明書.pdf"
    complete.save()
    first_file = complete.certificate.name
    client = client_for(world.users["editor_a1"])
    client.post(edit_url(complete), {**form_data(complete), "certificate": pdf_upload("新しい証明書.pdf")})
    complete.refresh_from_db()
    assert complete.certificate_name == "新しい証明書.pdf"
    assert complete.certificate.name != first_file
    history = client.get(
        reverse("disposals:storagedisposal_history", kwargs={"pk": complete.pk})
    ).content.decode()
    assert "古い証明書.pdf" in history and "新しい証明書.pdf" in history


def test_a_certificate_needs_the_disposal_date(client_for, world, disposals):
    planned = disposals["planned"]
    response = client_for(world.users["editor_a1"]).post(
        edit_url(planned), {**form_data(planned), "certificate": pdf_upload()}
    )
    assert response.status_code == 400
    assert escape(gettext("Enter the disposal date: a certificate is issued after the disposal.")) in (
        response.content.decode()
    )
    planned.refresh_from_db()
    assert not planned.certificate
    assert planned.history.count() == 1


def test_a_disposal_date_in_the_future_is_refused(client_for, world, disposals):
    planned = disposals["planned"]
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client_for(world.users["editor_a1"]).post(
        edit_url(planned), form_data(planned, disposed_on=tomorrow)
    )
    assert response.status_code == 400
    planned.refresh_from_db()
    assert planned.disposed_on is None


def test_the_detail_page_says_how_long_a_certificate_has_been_missing(client_for, world, disposals):
    old = disposals["old"]
    html = client_for(world.users["editor_a2"]).get(old.get_absolute_url()).content.decode()
    assert "k-alert--error" in html
    assert "40" in html
    assert format_era_date(old.disposed_on) in html
    assert reverse("disposals:certificate_download", kwargs={"pk": old.pk}) not in html


def test_status_filter_of_the_list(client_for, world, disposals):
    client = client_for(world.users["office_a"])
    url = reverse("disposals:storagedisposal_list")
    for status, shown in (
        ("planned", {"予定のサーバ"}),
        ("missing", {"先週廃棄したPC", "去年廃棄したHDD"}),
        ("complete", {"証明書あり端末"}),
    ):
        html = client.get(url, {"status": status}).content.decode()
        for disposal in StorageDisposal.objects.all():
            assert (disposal.description in html) == (disposal.description in shown), (status, disposal)
