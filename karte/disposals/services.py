"""Changes to storage-device disposals; every one is in the record's history with who made it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from karte.disposals.models import StorageDisposal


@transaction.atomic
def save_disposal(disposal: StorageDisposal, *, user, certificate=None) -> StorageDisposal:
    """Save a disposal; with `certificate` (a file cleaned by uploads.AttachmentField), attach or replace
    its disposal certificate. The certificate's receipt date is today unless one was given. Return it.

    A replaced certificate's file is kept: the record's history still names it.
    """
    if certificate is not None:
        disposal.certificate = certificate
        disposal.certificate_name = getattr(certificate, "original_name", "")[:255]
        if disposal.certificate_received_on is None:
            disposal.certificate_received_on = timezone.localdate()
    disposal._history_user = user
    disposal.save()
    return disposal


@transaction.atomic
def delete_disposal(disposal: StorageDisposal, *, user) -> None:
    """Delete a disposal record; its certificate file stays for the audit trail."""
    disposal._history_user = user
    disposal.delete()
