from django import template

from karte.core import fiscal

register = template.Library()


@register.filter
def fiscal_year(value) -> str:
    """2025 → 令和7年度 (FY2025 in English)."""
    return fiscal.format_fiscal_year(value)


@register.filter
def era_date(value) -> str:
    """A date as 令和7年4月1日 (2025-04-01 in English)."""
    return fiscal.format_era_date(value)
