"""The importers modules register, by kind: `karte import KIND FILE` and the import pages use it."""

from __future__ import annotations

from karte.core.importing.base import Importer

_importers: dict[str, type[Importer]] = {}


def register(importer: type[Importer]) -> type[Importer]:
    """Class decorator: make `importer` available under its `kind`."""
    if importer.kind in _importers and _importers[importer.kind] is not importer:
        raise ValueError(f"importer kind {importer.kind!r} registered twice")
    _importers[importer.kind] = importer
    return importer


def get_importer(kind: str) -> type[Importer] | None:
    return _importers.get(kind)


def all_importers() -> list[type[Importer]]:
    return sorted(_importers.values(), key=lambda i: i.kind)
