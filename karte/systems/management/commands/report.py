"""`karte report systems --fy 2022 [--json] [--body CODE]`: the portfolio figures, for scripts and checks."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from karte.core import fiscal
from karte.core.choices import OrgUnitKind
from karte.core.models import OrgUnit
from karte.systems.models import PortfolioSettings, System
from karte.systems.selectors import portfolio_figures_for

KINDS = ("systems",)


def fiscal_year(value: str) -> int:
    """Return the fiscal year an argument names: 2022, 令和4年度, R4 …"""
    try:
        year = fiscal.parse_fiscal_year(value)
    except fiscal.FiscalParseError as exc:
        raise CommandError(str(exc)) from exc
    if year is None:
        raise CommandError("年度を指定してください")
    return year


class Command(BaseCommand):
    help = "Print the figures of a report: systems (count, lock-in, common platform, per department)."

    def add_arguments(self, parser):
        parser.add_argument("kind", help=f"which report: {', '.join(KINDS)}")
        parser.add_argument("--fy", help="fiscal year (2022, 令和4年度, R4); default: this fiscal year")
        parser.add_argument("--body", help="code of the local government; needed when there are several")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")

    def handle(self, kind, fy, body, as_json, **options):
        if kind not in KINDS:
            raise CommandError(f"報告の種類「{kind}」はありません（{', '.join(KINDS)}）")
        year = fiscal_year(fy) if fy else fiscal.fiscal_year_of(timezone.localdate())
        body_unit = self._body(body)
        systems = System.objects.filter(body=body_unit)
        # Read, not portfolio_settings(): a report should not create settings rows in the audit trail.
        settings = PortfolioSettings.objects.filter(body=body_unit).first() or PortfolioSettings()
        figures = portfolio_figures_for(systems, year, settings.lock_in_threshold_years)
        figures = {"body": body_unit.code, **figures}
        if as_json:
            self.stdout.write(json.dumps(figures, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"情報システム（{body_unit.name} {fiscal.format_fiscal_year(year, 'ja')}）\n"
            f"  システム数: {figures['systems']}\n"
            f"  同一事業者による運用保守{figures['lock_in_threshold_years']}年以上: {figures['locked_in']}\n"
            f"  共通プラットフォーム: {figures['common_platform']}\n"
            "  部局別:"
        )
        for department, count in figures["by_department"].items():
            self.stdout.write(f"    {department or '（部局なし）'}: {count}")

    def _body(self, code: str | None) -> OrgUnit:
        bodies = OrgUnit.objects.filter(kind=OrgUnitKind.BODY).order_by("code")
        if code:
            body = bodies.filter(code=code).first()
            if body is None:
                raise CommandError(f"団体コード「{code}」の団体はありません")
            return body
        found = list(bodies[:2])
        if not found:
            raise CommandError("団体が登録されていません")
        if len(found) > 1:
            raise CommandError("団体が複数あります。--body で団体コードを指定してください")
        return found[0]
