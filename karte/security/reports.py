"""`karte report security [--json] [--body CODE] [--department CODE]`: the coverage-gap report's figures
and its gaps, as the page shows them to the body's office."""

from __future__ import annotations

from django.utils import timezone

from karte.core.reports import body_option, department_option, register_report
from karte.security.choices import GapReason
from karte.security.selectors import body_systems, coverage_figures, gap_list, placed_systems

REASON_TEXT = {
    GapReason.UNPROTECTED: "インターネット接続で監視サービス・独自対策・対象外理由のいずれもなし",
    GapReason.UNCONFIRMED: "保護状況が未確認",
    GapReason.STALE: "1年以上確認されていない",
    GapReason.NO_TARGET: "加入中の監視サービスに監視対象が登録されていない",
}


def security_report(options: dict) -> tuple[dict, str]:
    """Return the body's (or a department's) coverage figures and the list of its gaps."""
    body = body_option(options.get("body"))
    department = department_option(body, options.get("department"))
    placed = placed_systems(body_systems(body, department), timezone.localdate())
    figures = {
        "body": body.code,
        "department": department.code if department is not None else None,
        **coverage_figures(placed),
        "gaps": gap_list(placed),
    }
    place = f"{body.name} {department.name}" if department is not None else body.name
    lines = [
        f"セキュリティ対策状況（{place}）",
        f"  システム数: {figures['systems']}",
        f"  インターネット接続: {figures['internet_exposed']}",
        f"  うち3サービスいずれにも未加入: {figures['exposed_not_enrolled']}",
        f"    うち独自対策あり: {figures['own_measures_among_not_enrolled']}",
        f"    対象外（国・他団体が対応）: {figures['exempt_national']}",
        f"    対象外（民間サービスをそのまま利用）: {figures['exempt_private_service']}",
        f"    対象外（実際にはインターネット非接続）: {figures['exempt_not_exposed']}",
        f"  未対応（ギャップ）: {figures['unaccounted_gap']}",
    ]
    lines += [f"    {REASON_TEXT[reason]}: {figures['gaps_by_reason'][reason.value]}" for reason in GapReason]
    if figures["gaps"]:
        lines.append("  ギャップ一覧:")
        lines += [
            f"    {gap['code']} {gap['name']}（{gap['department'] or '部局なし'}）: "
            f"{REASON_TEXT[GapReason(gap['reason'])]}"
            for gap in figures["gaps"]
        ]
    return figures, "\n".join(lines)


register_report(
    "security",
    security_report,
    options=("body", "department"),
    help="protection coverage: survey figures and the gaps to chase",
)
