"""Enumerations of the self-inspection. Labels are English msgids shown in Japanese through gettext."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InspectionResult(models.TextChoices):
    """How far a system meets a question of the policy. Blank (not a choice) is "not answered yet"."""

    IMPLEMENTED = "implemented", _("Implemented")
    PARTLY = "partly", _("Partly implemented")
    NOT_IMPLEMENTED = "not_implemented", _("Not implemented")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


# Points per result, doubled so that sums stay integers: implemented 1, partly 0.5, not implemented 0.
# Not applicable and unanswered answers carry no points and are left out of the score.
DOUBLED_POINTS = {
    InspectionResult.IMPLEMENTED: 2,
    InspectionResult.PARTLY: 1,
    InspectionResult.NOT_IMPLEMENTED: 0,
}


class ActionStatus(models.TextChoices):
    """A follow-up action's state, derived from its dates (never stored)."""

    OVERDUE = "overdue", _("Overdue")
    OPEN = "open", _("In progress")
    DONE = "done", _("Done")
