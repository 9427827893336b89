from django.db import models
from django.utils.translation import gettext_lazy as _


class ProcedureKind(models.TextChoices):
    APPLICATION = "application", _("Application")
    NOTIFICATION = "notification", _("Notification")
    OTHER = "other", _("Other")


class OnlineStatus(models.TextChoices):
    ONLINE = "online", _("Online")
    PLANNED = "planned", _("Planned")
    LATER = "later", _("FY2026 or later")
    IMPOSSIBLE = "impossible", _("Cannot go online")


class Reason(models.TextChoices):
    """Why a procedure is not online (yet)."""

    ORIGINAL_DOCUMENT = "original_document", _("Original documents must be checked")
    IN_PERSON_ID = "in_person_id", _("Identity must be checked in person")
    SITE_INSPECTION = "site_inspection", _("A site inspection is needed")
    FEE = "fee", _("Fee payment")
    STATUTORY_FORM = "statutory_form", _("Form fixed by law")
    FEW_CASES = "few_cases", _("Too few cases")
    ATTACHMENTS = "attachments", _("Many attachments")
    OTHER = "other", _("Other")


class ProposalKind(models.TextChoices):
    FULL_ONLINE = "full_online", _("Fully online")
    PARTIAL_ONLINE = "partial_online", _("Partly online")
    TEMPLATE_REUSE = "template_reuse", _("Reuse a form template")


class SupportStatus(models.TextChoices):
    HEARING = "hearing", _("Hearing")
    PROPOSED = "proposed", _("Proposal made")
    BUILDING = "building", _("Being built")
    LIVE = "live", _("Online")
    STOPPED = "stopped", _("Stopped")


# The words sheets use. A status cell may also carry the planned year ("令和7年度末までに予定").
SHEET_STATUS = {
    "オンライン化済": OnlineStatus.ONLINE,
    "済": OnlineStatus.ONLINE,
    "予定": OnlineStatus.PLANNED,
    "令和8年度以降": OnlineStatus.LATER,
    "オンライン化不可": OnlineStatus.IMPOSSIBLE,
    "不可": OnlineStatus.IMPOSSIBLE,
}
SHEET_KIND = {
    "申請": ProcedureKind.APPLICATION,
    "届出": ProcedureKind.NOTIFICATION,
    "その他": ProcedureKind.OTHER,
}
# A reason cell lists phrases separated by 、; each is recognised by a key word.
REASON_WORDS = [
    ("原本", Reason.ORIGINAL_DOCUMENT),
    ("本人確認", Reason.IN_PERSON_ID),
    ("対面", Reason.IN_PERSON_ID),
    ("現地", Reason.SITE_INSPECTION),
    ("手数料", Reason.FEE),
    ("様式", Reason.STATUTORY_FORM),
    ("件数", Reason.FEW_CASES),
    ("添付", Reason.ATTACHMENTS),
]
