"""Answering a security measures survey round: a department's systems row by row, as a sheet, and the
comparison with the previous round.

The answer pages are core.round_answers'; here is what is the security registry's own: how a row shows an
answer and its coverage, its form and sheet, and the comparison. Every change goes through
services_rounds.save_answer, so a closed round never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from karte.core import round_answers
from karte.core.generic import ScopeRequiredMixin
from karte.core.round_answers import round_breadcrumbs
from karte.core.scoping import scope_for
from karte.security import services_rounds
from karte.security.answer_forms import AnswerForm
from karte.security.choices import Coverage, Exemption, GapReason, MonitoringService, OwnMeasure
from karte.security.coverage import Verdict
from karte.security.importers import SecuritySurveyImporter
from karte.security.models import ProtectionAnswer
from karte.security.rounds import SecurityRound
from karte.security.selectors import coverage_figures, coverage_rows, placed_answers


@dataclass
class AnswerRow:
    """One answer as a table row shows it."""

    answer: ProtectionAnswer
    may_edit: bool

    @property
    def service_labels(self) -> list[str]:
        return [MonitoringService(s).label for s in self.answer.enrolled_services]

    @property
    def measure_labels(self) -> list[str]:
        return [OwnMeasure(m).label for m in self.answer.own_measures]

    @property
    def exemption_label(self) -> str:
        return Exemption(self.answer.exemption).label if self.answer.exemption else ""

    @cached_property
    def verdict(self) -> Verdict:
        placed = self.answer
        if not hasattr(placed, "cv_coverage"):
            # One answer just saved: the rule places it in the database, as it places a whole round.
            placed = placed_answers(ProtectionAnswer.objects.filter(pk=placed.pk)).only("pk").get()
        return Verdict(placed.cv_coverage, placed.cv_gap_reason)

    @property
    def coverage_label(self) -> str:
        return Coverage(self.verdict.coverage).label

    @property
    def tone(self) -> str:
        """The badge colour: red for a gap, plain for a system outside the exposed figures."""
        coverage = self.verdict.coverage
        if coverage == Coverage.GAP:
            return "error"
        return "" if coverage == Coverage.NOT_EXPOSED else "ok"


class SecurityRoundMixin(round_answers.RoundAnswersMixin):
    kind = SecurityRound.kind
    answer_model = ProtectionAnswer
    app = "security"
    importer_class = SecuritySurveyImporter


class RoundAnswersView(SecurityRoundMixin, round_answers.RoundAnswersView):
    """A department's systems in a round with their answers, editable row by row while it may answer."""

    template_name = "security/rounds/round_answers.html"
    row_class = AnswerRow

    def table_answers(self, department_id):
        return (
            placed_answers(self.answers_in(self.survey, department_id))
            .select_related("system", "unit")
            .order_by("system__code", "pk")
        )

    def get_context_data(self, **kwargs):
        compare_url = reverse("security:round_compare", kwargs={"pk": self.survey.pk})
        return {**super().get_context_data(**kwargs), "compare_url": compare_url}


class AnswerEditView(SecurityRoundMixin, round_answers.AnswerEditView):
    template_name = "security/rounds/answer_edit.html"
    row_template = "security/rounds/row.html"
    row_form_template = "security/rounds/row_form.html"
    row_class = AnswerRow
    form_class = AnswerForm
    answer_related = ("round", "system", "unit", "department")

    def subject(self, answer):
        return str(answer.system)

    def save_answer(self, answer, form):
        services_rounds.save_answer(answer, self.request.user, **form.answer_values())


class RoundSubmitView(SecurityRoundMixin, round_answers.RoundSubmitView):
    pass


class AnswersXlsxView(SecurityRoundMixin, round_answers.AnswersXlsxView):
    file_prefix = "security-round"


# --- comparison with the previous round -------------------------------------------------------------
FIGURES = [
    ("systems", gettext_lazy("Systems")),
    ("internet_exposed", gettext_lazy("Internet-facing")),
    ("exposed_not_enrolled", gettext_lazy("Internet-facing, in no monitoring service")),
    ("own_measures_among_not_enrolled", gettext_lazy("… of which with own measures")),
    ("exempt_national", gettext_lazy("… of which the national government or another body is responsible")),
    ("exempt_private_service", gettext_lazy("… of which a private service used as it is")),
    ("exempt_not_exposed", gettext_lazy("… of which not internet-facing after all")),
    ("unaccounted_gap", gettext_lazy("Unaccounted gaps")),
]


@dataclass
class Change:
    """One system whose coverage differs between the two rounds."""

    system_id: int
    code: str
    name: str
    department_name: str
    before: str
    after: str
    what: list[str]
    is_gap: bool
    joined: tuple[str, ...] = ()
    left: tuple[str, ...] = ()


def coverage_changes(current, previous) -> list[Change]:
    """Return the systems answered in both rounds whose coverage changed, new gaps first."""
    before = {row.system_id: row for row in previous}
    changes = []
    for row in current:
        old = before.get(row.system_id)
        if old is None:
            continue
        what = []
        if row.internet_facing and not old.internet_facing:
            what.append(_("Became internet-facing"))
        if old.internet_facing and not row.internet_facing:
            what.append(_("No longer internet-facing"))
        joined = set(row.enrolled) - set(old.enrolled)
        left = set(old.enrolled) - set(row.enrolled)
        what += [_("Joined: %(service)s") % {"service": MonitoringService(s).label} for s in sorted(joined)]
        what += [_("Left: %(service)s") % {"service": MonitoringService(s).label} for s in sorted(left)]
        if row.verdict.is_gap and not old.verdict.is_gap:
            what.append(_("Became a gap"))
        if old.verdict.is_gap and not row.verdict.is_gap:
            what.append(_("Gap resolved"))
        if row.verdict.coverage != old.verdict.coverage and not what:
            what.append(_("Coverage changed"))
        if not what:
            continue
        changes.append(
            Change(
                system_id=row.system_id,
                code=row.code,
                name=row.name,
                department_name=row.department_name,
                before=verdict_label(old.verdict),
                after=verdict_label(row.verdict),
                what=what,
                is_gap=row.verdict.is_gap,
                joined=tuple(sorted(joined)),
                left=tuple(sorted(left)),
            )
        )
    changes.sort(key=lambda c: (not c.is_gap, c.department_name, c.code))
    return changes


def verdict_label(verdict: Verdict) -> str:
    label = str(Coverage(verdict.coverage).label)
    if verdict.gap_reason:
        return f"{label}（{GapReason(verdict.gap_reason).label}）"
    return label


class RoundCompareView(SecurityRoundMixin, ScopeRequiredMixin, TemplateView):
    """This round's coverage figures next to the previous round's, and the systems whose coverage changed.

    Both rounds are read through restrict(): a department sees its own systems only.
    """

    template_name = "security/rounds/round_compare.html"

    def get(self, request, *args, **kwargs):
        self.survey = get_object_or_404(self.rounds().select_related("previous"), pk=kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user = self.request.user
        survey = self.survey
        previous = survey.previous
        if previous is not None and (
            previous.kind != self.kind or not self.rounds().filter(pk=previous.pk).exists()
        ):
            previous = None
        current = placed_answers(self.answers_in(survey))
        before = placed_answers(self.answers_in(previous)) if previous else None
        current_rows = coverage_rows(current)
        previous_rows = coverage_rows(before) if previous else []
        now = coverage_figures(current)
        then = coverage_figures(before) if previous else None
        figures = [
            {
                "key": key,
                "label": label,
                "now": now[key],
                "then": then[key] if then else None,
                "difference": now[key] - then[key] if then else None,
                "is_gap": key == "unaccounted_gap",
            }
            for key, label in FIGURES
        ]
        return {
            **super().get_context_data(**kwargs),
            "survey": survey,
            "previous": previous,
            "figures": figures,
            "changes": coverage_changes(current_rows, previous_rows) if previous else [],
            "department_only": not scope_for(user).reads_whole_body,
            "answers_url": self.answers_page_url(survey),
            "title": _("%(round)s: comparison with the previous round") % {"round": survey.name},
            "breadcrumbs": round_breadcrumbs(survey, (_("Comparison with the previous round"), None)),
        }
