"""Reading the audit trail that django-simple-history keeps for every registry model."""

from __future__ import annotations

import datetime
import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from karte.core.scoping import VIEW, restrict, scope_for

ACTION_LABELS = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}
SKIPPED_FIELDS = {"id"}


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class Entry:
    """One row of the trail: who did what to which record, and which fields went from what to what."""

    when: datetime.datetime
    user: str
    action: str
    action_label: str
    model_label: str
    record: str
    record_url: str | None
    changes: list[Change] = field(default_factory=list)


def audited_models() -> list[type[models.Model]]:
    """Return the registry models that keep history and can be scoped, in a stable order."""
    found = []
    for model in apps.get_models():
        if hasattr(model, "history") and hasattr(model, "scope_path"):
            found.append(model)
    return sorted(found, key=lambda m: m._meta.label)


def model_key(model) -> str:
    return model._meta.label_lower


def _format(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "○" if value else "×"
    if isinstance(value, datetime.datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _tracked_fields(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.name not in SKIPPED_FIELDS]


def _choices_display(field_obj: models.Field, value: Any) -> Any:
    if field_obj.choices and value is not None:
        return dict(field_obj.flatchoices).get(value, value)
    return value


def entries_for(model, history_rows: list) -> list[Entry]:
    """Return trail entries for history rows of one model, each diffed against the record's previous row.

    `history_rows` must be ordered oldest first per record for the diffs to be right; related records
    are looked up in one query per related model.
    """
    fields = _tracked_fields(model)
    previous: dict[Any, Any] = {}
    raw: list[tuple[Any, list[tuple[models.Field, Any, Any]]]] = []
    for row in history_rows:
        before = previous.get(row.id)
        changed = []
        # A deletion changes no field; a creation lists the fields it filled in.
        for f in fields if row.history_type != "-" else ():
            new = getattr(row, f.attname)
            old = getattr(before, f.attname) if before is not None else None
            if (before is None and new not in (None, "")) or (before is not None and old != new):
                changed.append((f, old, new))
        previous[row.id] = row
        raw.append((row, changed))

    wanted: dict[type[models.Model], set] = defaultdict(set)
    for _row, changed in raw:
        for f, old, new in changed:
            if f.is_relation:
                wanted[f.related_model].update(v for v in (old, new) if v is not None)
    names = {
        related: {obj.pk: str(obj) for obj in related._default_manager.filter(pk__in=ids)}
        for related, ids in wanted.items()
    }

    entries = []
    for row, changed in raw:
        changes = []
        for f, old, new in changed:
            if f.is_relation:
                old = names[f.related_model].get(old, old) if old is not None else None
                new = names[f.related_model].get(new, new) if new is not None else None
            changes.append(
                Change(
                    str(f.verbose_name),
                    _format(_choices_display(f, old)),
                    _format(_choices_display(f, new)),
                )
            )
        entries.append(
            Entry(
                when=row.history_date,
                user=str(row.history_user) if row.history_user_id else str(_("System")),
                action=row.history_type,
                action_label=str(ACTION_LABELS[row.history_type]),
                model_label=str(model._meta.verbose_name),
                record=_record_name(row, model),
                record_url=_record_url(model, row.id),
                changes=changes,
            )
        )
    return entries


def _record_name(row, model) -> str:
    """The record's name as of this change. A name made from a related record deleted since (a system's
    profile after the system went) falls back to the kind and number: the trail outlives its records."""
    try:
        return str(row.instance)
    except ObjectDoesNotExist:
        return f"{model._meta.verbose_name} #{row.id}"


def _record_url(model, pk) -> str | None:
    try:
        return reverse(f"{model._meta.app_label}:{model._meta.model_name}_history", kwargs={"pk": pk})
    except NoReverseMatch:
        return None


def record_history(obj) -> list[Entry]:
    """Return the trail of one record, newest first."""
    rows = list(obj.history.select_related("history_user").order_by("history_date", "history_id"))
    return list(reversed(entries_for(type(obj), rows)))


@dataclass
class TrailFilter:
    model: str = ""
    user: str = ""
    action: str = ""
    since: datetime.date | None = None
    until: datetime.date | None = None


def _history_queryset(model, viewer, filters: TrailFilter):
    qs = restrict(model.history.all(), model, viewer, VIEW).select_related("history_user")
    if filters.user:
        qs = qs.filter(history_user__username__icontains=filters.user)
    if filters.action:
        qs = qs.filter(history_type=filters.action)
    if filters.since:
        qs = qs.filter(history_date__date__gte=filters.since)
    if filters.until:
        qs = qs.filter(history_date__date__lte=filters.until)
    return qs


def audit_trail(viewer, filters: TrailFilter, limit: int | None) -> list[Entry]:
    """Return the newest `limit` entries (all if None) across every audited model the viewer may read."""
    if not scope_for(viewer).reads_audit_trail:
        return []
    streams = []
    for model in audited_models():
        if filters.model and model_key(model) != filters.model:
            continue
        qs = _history_queryset(model, viewer, filters).order_by("-history_date", "-history_id")
        rows = list(qs[:limit] if limit else qs)
        rows.reverse()
        # Diffs need each record's earlier row, which may lie outside this window: fetch those too.
        earlier = _previous_rows(model, rows)
        entries = entries_for(model, earlier + rows)[len(earlier) :]
        entries.reverse()
        streams.append(entries)
    merged = heapq.merge(*streams, key=lambda e: e.when, reverse=True)
    return list(merged)[:limit] if limit else list(merged)


def _previous_rows(model, rows: list) -> list:
    """Return, for each record in `rows`, its history row just before the first one in `rows`."""
    first: dict[Any, Any] = {}
    for row in rows:
        first.setdefault(row.id, row)
    if not first:
        return []
    history = model.history.model
    candidates = history.objects.filter(id__in=first.keys()).exclude(
        history_id__in=[r.history_id for r in first.values()]
    )
    best: dict[Any, Any] = {}
    for row in candidates.order_by("history_date", "history_id"):
        start = first[row.id]
        if (row.history_date, row.history_id) < (start.history_date, start.history_id):
            best[row.id] = row
    return sorted(best.values(), key=lambda r: (r.history_date, r.history_id))
