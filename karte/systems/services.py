"""Changes to the system karte: vendors by identity, contracts and the maintenance runs derived from them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.db import transaction

from karte.systems.choices import ContractKind
from karte.systems.models import Contract, MaintenanceRun, PortfolioSettings, Vendor

# Ways sheets write a company's legal form; none of them tells two companies apart.
LEGAL_FORMS = re.compile(
    r"株式会社|有限会社|合同会社|合資会社|合名会社|一般社団法人|一般財団法人|\(株\)|\(有\)|\(同\)|㈱|㈲|co\.,?ltd\.?|inc\.?|corp\.?"
)


def normalize_vendor_name(name: str) -> str:
    """Return the identity of a company name: width, spaces, case and legal form do not matter."""
    text = unicodedata.normalize("NFKC", name or "").lower()
    text = LEGAL_FORMS.sub("", text)
    return re.sub(r"[\s・,.]", "", text)


def find_or_create_vendor(body_id: int, name: str, *, user=None) -> Vendor:
    """Return the body's vendor with this identity, creating it under the name as first written."""
    key = normalize_vendor_name(name)
    vendor = Vendor.objects.filter(body_id=body_id, normalized_name=key).first()
    if vendor is None:
        vendor = Vendor(body_id=body_id, name=name.strip(), normalized_name=key)
        if user is not None:
            vendor._history_user = user
        vendor.save()
    return vendor


def portfolio_settings(body_id: int) -> PortfolioSettings:
    settings, _created = PortfolioSettings.objects.get_or_create(body_id=body_id)
    return settings


def maintenance_runs(contracts: Iterable[Contract]) -> list[tuple[int, int, int, int | None]]:
    """Return (system_id, vendor_id, fy_from, fy_to) runs: one vendor's maintenance without a break.

    `contracts` are one system's maintenance contracts. A contract with no end runs on; overlapping or
    adjacent contracts of the same vendor join; another vendor's contract ends the run.
    """
    runs: list[list] = []
    for contract in sorted(contracts, key=lambda c: (c.fy_from, c.fy_to or 10**4)):
        last = runs[-1] if runs else None
        joins = (
            last is not None
            and last[1] == contract.vendor_id
            and (last[3] is None or contract.fy_from <= last[3] + 1)
        )
        if joins:
            if last[3] is not None:
                last[3] = None if contract.fy_to is None else max(last[3], contract.fy_to)
            continue
        if last is not None and (last[3] is None or last[3] >= contract.fy_from):
            # A new vendor took over: the previous run ended the year before.
            last[3] = contract.fy_from - 1
        runs.append([contract.system_id, contract.vendor_id, contract.fy_from, contract.fy_to])
    return [tuple(run) for run in runs]


@transaction.atomic
def rebuild_maintenance_runs(system_ids: Iterable[int]) -> None:
    """Recompute the maintenance runs of these systems from their contracts."""
    system_ids = list(system_ids)
    by_system: dict[int, list[Contract]] = {pk: [] for pk in system_ids}
    maintenance = Contract.objects.filter(system_id__in=system_ids, kind=ContractKind.MAINTENANCE).only(
        "system_id", "vendor_id", "fy_from", "fy_to"
    )
    for contract in maintenance:
        by_system[contract.system_id].append(contract)
    MaintenanceRun.objects.filter(system_id__in=system_ids).delete()
    MaintenanceRun.objects.bulk_create(
        MaintenanceRun(system_id=s, vendor_id=v, fy_from=a, fy_to=b)
        for contracts in by_system.values()
        for s, v, a, b in maintenance_runs(contracts)
    )


@transaction.atomic
def save_contract(contract: Contract, *, user=None) -> Contract:
    """Save a contract and keep its system's maintenance runs (and so its lock-in) right."""
    if user is not None:
        contract._history_user = user
    previous_system = Contract.objects.filter(pk=contract.pk).values_list("system_id", flat=True).first()
    contract.save()
    rebuild_maintenance_runs({contract.system_id, previous_system} - {None})
    return contract


@transaction.atomic
def delete_contract(contract: Contract, *, user=None) -> None:
    if user is not None:
        contract._history_user = user
    system_id = contract.system_id
    contract.delete()
    rebuild_maintenance_runs([system_id])
