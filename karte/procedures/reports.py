"""`karte report procedures --round NAME [--body CODE] [--department CODE] [--json]`: a round's KPIs.

The figures the round's pages show: the KPIs of the round (or of one department), by department, and
year over year against the round's previous round when it has one.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.management.base import CommandError

from karte.core import fiscal
from karte.core.models import SurveyRound
from karte.core.reports import body_option, department_option, register_report
from karte.procedures.selectors import Kpis, kpis_by_department, round_kpis, year_over_year

KIND = "procedures"
CHANGE_LISTS = ("newly_online", "newly_planned", "no_longer_online")


def _pct(value: Decimal | None) -> str:
    return f"{value}%" if value is not None else "—"


def procedures_report(options: dict) -> tuple[dict, str]:
    """Return the round's KPIs, by department and against the previous round."""
    name = options.get("round")
    if not name:
        raise CommandError("--round で照会名を指定してください")
    rounds = SurveyRound.objects.filter(kind=KIND, name=name).select_related("body", "previous")
    if options.get("body"):
        rounds = rounds.filter(body=body_option(options["body"]))
    found = list(rounds[:2])
    if not found:
        raise CommandError(f"照会「{name}」はありません")
    if len(found) > 1:
        raise CommandError(f"照会「{name}」は複数の団体にあります。--body で団体コードを指定してください")
    survey = found[0]
    body = survey.body
    department = department_option(body, options.get("department"))
    department_id = department.pk if department else None

    kpis = round_kpis(survey, body_id=body.pk, department_id=department_id)
    by_department = [
        (shown, figures)
        for shown, figures in kpis_by_department(survey, body_id=body.pk)
        if department is None or shown == department.name
    ]
    figures: dict = {
        "body": body.code,
        "round": survey.name,
        "fiscal_year": survey.fiscal_year,
        "status": survey.status,
        "department": department.code if department else None,
        "kpis": kpis.as_dict(),
        "by_department": {shown: k.as_dict() for shown, k in by_department},
        "previous_round": survey.previous.name if survey.previous_id else None,
        "year_over_year": None,
    }
    year = fiscal.format_fiscal_year(survey.fiscal_year, "ja")
    state = "受付中" if survey.is_open else "締切済"
    scope = f" {department.name}" if department else ""
    lines = [f"行政手続のオンライン化（{body.name} {survey.name} {year}・{state}）{scope}", *_kpi_lines(kpis)]
    if survey.previous_id:
        change = year_over_year(survey, survey.previous, body_id=body.pk, department_id=department_id)
        previous = change["previous"]
        figures["year_over_year"] = {
            "previous": previous.as_dict(),
            **{key: change[key] for key in ("matched", "added", "dropped")},
            "matched_volume": list(change["matched_volume"]),
            "matched_online_volume": list(change["matched_online_volume"]),
            **{key: [c.as_dict() for c in change[key]] for key in CHANGE_LISTS},
        }
        lines += [
            f"  前回（{survey.previous.name}）から:",
            f"    オンライン化率（手続数）: {_pct(previous.online_share_by_count)} → "
            f"{_pct(kpis.online_share_by_count)}",
            f"    オンライン化率（件数）: {_pct(previous.online_share_by_volume)} → "
            f"{_pct(kpis.online_share_by_volume)}",
            f"    両方の照会にある手続: {change['matched']}  新たに加わった手続: {change['added']}  "
            f"なくなった手続: {change['dropped']}",
            f"    新たにオンライン化: {len(change['newly_online'])}  "
            f"新たに予定: {len(change['newly_planned'])}  "
            f"オンライン化済でなくなった: {len(change['no_longer_online'])}",
        ]
    lines.append("  部局別:")
    lines += [
        f"    {shown}: {k.procedures}手続、オンライン化済 {k.online}（{_pct(k.online_share_by_count)}）、"
        f"件数 {_pct(k.online_share_by_volume)}"
        for shown, k in by_department
    ]
    return figures, "\n".join(lines)


def _kpi_lines(kpis: Kpis) -> list[str]:
    return [
        f"  手続数: {kpis.procedures:,}",
        f"  オンライン化済: {kpis.online:,}（{_pct(kpis.online_share_by_count)}）",
        f"  オンライン件数: {kpis.online_volume:,} / {kpis.volume:,}（{_pct(kpis.online_share_by_volume)}）",
        f"  オンライン化予定: {kpis.planned:,}（{_pct(kpis.planned_share)}）",
        f"  それ以降・オンライン化不可: {kpis.later_or_impossible:,}（{_pct(kpis.later_share)}）",
        f"  未回答: {kpis.unanswered:,}",
    ]


register_report(
    KIND,
    procedures_report,
    options=("round", "body", "department"),
    help="a survey round's KPIs, by department and year over year",
)
