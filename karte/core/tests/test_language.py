"""Japanese by default, English on request."""

from django.urls import reverse


def test_pages_are_japanese_by_default_and_english_after_switching(client, world):
    client.force_login(world.users["office_a"])

    japanese = client.get(reverse("core:dashboard")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": reverse("core:dashboard")})
    english = client.get(reverse("core:dashboard")).content.decode()

    assert "ダッシュボード" in japanese and "部局" in japanese
    assert '<html lang="en"' in english and "Dashboard" in english and "Departments" in english


def test_fiscal_years_and_dates_read_as_the_era_in_japanese(client, world):
    client.force_login(world.users["office_a"])

    page = client.get(reverse("core:orgunit_detail", kwargs={"pk": world.section_a1.pk})).content.decode()

    assert "令和" in page
