"""`karte report systems --fy 2022 [--json] [--body CODE]`: the portfolio figures the pages show."""

from __future__ import annotations

from karte.core import fiscal
from karte.core.reports import body_option, fiscal_year_option, register_report
from karte.systems.models import PortfolioSettings, System
from karte.systems.selectors import portfolio_figures_for


def systems_report(options: dict) -> tuple[dict, str]:
    """Return the body's portfolio figures for the fiscal year: system count, lock-in, common platform."""
    year = fiscal_year_option(options.get("fy"))
    body = body_option(options.get("body"))
    systems = System.objects.filter(body=body)
    # Read, not portfolio_settings(): a report should not create settings rows in the audit trail.
    settings = PortfolioSettings.objects.filter(body=body).first() or PortfolioSettings()
    figures = portfolio_figures_for(systems, year, settings.lock_in_threshold_years)
    figures = {"body": body.code, **figures}
    lines = [
        f"情報システム（{body.name} {fiscal.format_fiscal_year(year, 'ja')}）",
        f"  システム数: {figures['systems']}",
        f"  同一事業者による運用保守{figures['lock_in_threshold_years']}年以上: {figures['locked_in']}",
        f"  共通プラットフォーム: {figures['common_platform']}",
        "  部局別:",
    ]
    lines += [
        f"    {department or '（部局なし）'}: {count}"
        for department, count in figures["by_department"].items()
    ]
    return figures, "\n".join(lines)


register_report(
    "systems",
    systems_report,
    options=("fy", "body"),
    help="count, lock-in, common platform, per department",
)
