"""Changes to the system karte: vendors by identity, contracts and the maintenance runs derived from them,
and working groups."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.db import transaction

from karte.systems.choices import ContractKind
from karte.systems.models import Contract, MaintenanceRun, PortfolioSettings, Vendor, WorkingGroup

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


class VendorClash(ValueError):
    """A vendor change that would leave two records for one company, or join two bodies' vendors."""


@transaction.atomic
def rename_vendor(vendor: Vendor, name: str, *, user=None) -> Vendor:
    """Rename a vendor, keeping its identity (`normalized_name`) in step; return the vendor.

    Raises VendorClash when another vendor of the body already has the new name's identity: that is
    the same company, to be merged rather than renamed into.
    """
    key = normalize_vendor_name(name)
    if Vendor.objects.filter(body_id=vendor.body_id, normalized_name=key).exclude(pk=vendor.pk).exists():
        raise VendorClash(name)
    vendor.name = name.strip()
    vendor.normalized_name = key
    if user is not None:
        vendor._history_user = user
    vendor.save()
    return vendor


@transaction.atomic
def merge_vendors(keep: Vendor, duplicate: Vendor, *, user) -> Vendor:
    """Move every contract of `duplicate` to `keep`, delete `duplicate`, and rebuild the maintenance runs
    of the systems concerned (runs split only by the duplicate's name join up). Return `keep`.

    Raises VendorClash for a vendor merged into itself or into another body's vendor.
    """
    if keep.pk == duplicate.pk or keep.body_id != duplicate.body_id:
        raise VendorClash(duplicate.name)
    system_ids = set()
    # One save per contract, so that each contract's history says who moved it to which vendor.
    for contract in Contract.objects.select_for_update().filter(vendor=duplicate):
        contract.vendor = keep
        contract._history_user = user
        contract.save(update_fields=["vendor"])
        system_ids.add(contract.system_id)
    duplicate._history_user = user
    duplicate._change_reason = f"merged into {keep.name} (#{keep.pk})"
    duplicate.delete()
    rebuild_maintenance_runs(system_ids)
    return keep


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


@transaction.atomic
def save_working_group(group: WorkingGroup, member_units=None, *, user=None) -> WorkingGroup:
    """Save a working group and, when given, set its member units; return the group."""
    if user is not None:
        group._history_user = user
    group.save()
    if member_units is not None:
        wanted = {unit.pk for unit in member_units}
        # Only a real change: simple-history writes a history row for every change of the set.
        if wanted != set(group.member_units.values_list("pk", flat=True)):
            group.member_units.set(wanted)
    return group


@transaction.atomic
def delete_working_group(group: WorkingGroup, *, user=None) -> None:
    """Delete a working group; its systems leave it, each with a history entry (not a silent SET NULL)."""
    for system in group.systems.all():
        system.working_group = None
        if user is not None:
            system._history_user = user
        system.save()
    if user is not None:
        group._history_user = user
    group.delete()
