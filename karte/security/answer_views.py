"""Answering a security measures survey round: a department's systems row by row, as a sheet, and the
comparison with the previous round.

Answers are read through `ProtectionAnswer.objects.restrict(user, VIEW)` and changed only when
`restrict(user, CHANGE)` reaches them and the round lets the department answer (core.rounds); every change
goes through services_rounds.save_answer, so a closed round never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from karte.core import rounds
from karte.core.choices import ParticipationStatus
from karte.core.generic import ScopeRequiredMixin, sheet_response
from karte.core.models import RoundParticipation, SurveyRound
from karte.core.scoping import CHANGE, VIEW, scope_for
from karte.security import services_rounds
from karte.security.answer_forms import AnswerForm
from karte.security.choices import Coverage, Exemption, GapReason, MonitoringService, OwnMeasure
from karte.security.coverage import Verdict
from karte.security.importers import SecuritySurveyImporter
from karte.security.models import ProtectionAnswer
from karte.security.rounds import SecurityRound
from karte.security.selectors import coverage_figures, coverage_rows, placed_answers

KIND = SecurityRound.kind
ANSWERS_PER_PAGE = 100


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


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def rounds_for(user):
    return SurveyRound.objects.restrict(user, VIEW).filter(kind=KIND)


def answers_for(user, survey: SurveyRound, department_id: int | None, action: str = VIEW):
    """Return the round's answers the user may see (or change), of one department or, if None, of all."""
    answers = ProtectionAnswer.objects.restrict(user, action).filter(round=survey)
    if department_id is not None:
        answers = answers.filter(department_id=department_id)
    return answers


def chosen_department(request) -> int | None:
    """Return the department the page is about: the user's own, or for the office ?department= (or POST)."""
    scope = scope_for(request.user)
    raw = request.POST.get("department") if request.method == "POST" else request.GET.get("department")
    if not scope.reads_whole_body:
        # A change posted for another department is refused, not quietly made to the user's own.
        if request.method == "POST" and raw and raw != str(scope.department_id):
            raise Http404
        return scope.department_id
    try:
        return int(raw) if raw else None
    except ValueError:
        raise Http404 from None


def refusal(survey: SurveyRound, department_id: int, user) -> str | None:
    """Return why the user may not change the department's answers now, None if they may."""
    try:
        rounds.ensure_answerable(survey, department_id, user)
    except rounds.RoundRefused as exc:
        return str(exc)
    return None


def answers_page_url(survey: SurveyRound, department_id: int | None = None) -> str:
    url = reverse("security:round_answers", kwargs={"pk": survey.pk})
    return f"{url}?department={department_id}" if department_id else url


def round_breadcrumbs(survey: SurveyRound, *rest) -> list:
    return [
        (_("Survey rounds"), reverse("core:round_list")),
        (survey.name, reverse("core:round_detail", kwargs={"pk": survey.pk})),
        *rest,
    ]


class RoundAnswersView(ScopeRequiredMixin, TemplateView):
    """A department's systems in a round with their answers, editable row by row while it may answer."""

    template_name = "security/rounds/round_answers.html"

    def get(self, request, *args, **kwargs):
        self.survey = get_object_or_404(rounds_for(request.user), pk=kwargs["pk"])
        self.department_id = chosen_department(request)
        self.participation = None
        if self.department_id is not None:
            self.participation = (
                RoundParticipation.objects.restrict(request.user, VIEW)
                .filter(round=self.survey, department_id=self.department_id)
                .select_related("department", "submitted_by")
                .first()
            )
            if self.participation is None and scope_for(request.user).reads_whole_body:
                raise Http404
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user = self.request.user
        survey = self.survey
        scope = scope_for(user)
        participation = self.participation
        page = None
        may_edit = may_submit = False
        notice = None
        if participation is not None:
            department_id = participation.department_id
            answers = (
                placed_answers(answers_for(user, survey, department_id))
                .select_related("system", "unit")
                .order_by("system__code", "pk")
            )
            page = Paginator(answers, ANSWERS_PER_PAGE).get_page(self.request.GET.get("page"))
            may_change = answers_for(user, survey, department_id, CHANGE).exists()
            refused = refusal(survey, department_id, user) if may_change else None
            may_edit = may_change and refused is None
            may_submit = may_edit and participation.status != ParticipationStatus.SUBMITTED
            notice = self.notice(survey, participation, office_corrects=may_edit and scope.is_office)
        return {
            **super().get_context_data(**kwargs),
            "survey": survey,
            "participation": participation,
            "department_choices": self.department_choices() if scope.reads_whole_body else None,
            "department_id": self.department_id,
            "page_obj": page,
            "paginator": page.paginator if page else None,
            "rows": [AnswerRow(a, may_edit) for a in page.object_list] if page else [],
            "asked": survey.fields,
            "may_edit": may_edit,
            "may_submit": may_submit,
            "notice": notice,
            "xlsx_url": self.xlsx_url(),
            "import_url": self.import_url() if may_edit else None,
            "compare_url": reverse("security:round_compare", kwargs={"pk": survey.pk}),
            "title": survey.name,
            "breadcrumbs": round_breadcrumbs(survey, (_("Answers"), None)),
        }

    def department_choices(self):
        return (
            RoundParticipation.objects.restrict(self.request.user, VIEW)
            .filter(round=self.survey)
            .select_related("department")
        )

    @staticmethod
    def notice(
        survey: SurveyRound, participation: RoundParticipation, *, office_corrects: bool
    ) -> tuple[str, str] | None:
        """Return (alert level, text): why the answers are read-only, or what state they are in."""
        if not survey.is_open:
            return "info", _("This round is closed. Its answers are a fixed record and can only be viewed.")
        if participation.status == ParticipationStatus.SUBMITTED:
            if office_corrects:
                return "info", _(
                    "This department has submitted its answer. As the office you can still correct it, "
                    "or send it back to the department from the round's page."
                )
            return "success", _(
                "This department's answer has been submitted and can no longer be changed. "
                "To change it, ask the digital administration office to send it back."
            )
        if participation.status == ParticipationStatus.REOPENED:
            return "warning", _("The office has sent this answer back. Correct it and submit it again.")
        return None

    def xlsx_url(self) -> str | None:
        if self.participation is None:
            return None
        url = reverse("security:answers_xlsx", kwargs={"pk": self.survey.pk})
        return f"{url}?department={self.participation.department_id}"

    def import_url(self) -> str | None:
        if not SecuritySurveyImporter(self.request.user).permitted():
            return None
        url = reverse("core:import_new", kwargs={"kind": SecuritySurveyImporter.kind})
        return f"{url}?{urlencode({'round': self.survey.name})}"


class AnswerEditView(ScopeRequiredMixin, TemplateView):
    """Edit one answer as an htmx table row (GET the row form, POST it back for the row) or as a page."""

    scope_test = "may_write"
    template_name = "security/rounds/answer_edit.html"

    def get_answer(self) -> ProtectionAnswer:
        return get_object_or_404(
            ProtectionAnswer.objects.restrict(self.request.user, CHANGE)
            .filter(round__kind=KIND)
            .select_related("round", "system", "unit", "department"),
            pk=self.kwargs["pk"],
        )

    def get(self, request, *args, **kwargs):
        answer = self.get_answer()
        refused = refusal(answer.round, answer.department_id, request.user)
        if request.GET.get("row") and is_htmx(request):
            return self.row(answer, may_edit=refused is None)
        if refused:
            return self.refuse(answer, refused)
        return self.respond(answer, self.form(answer))

    def post(self, request, *args, **kwargs):
        answer = self.get_answer()
        refused = refusal(answer.round, answer.department_id, request.user)
        if refused:
            return self.refuse(answer, refused)
        form = self.form(answer, request.POST)
        if not form.is_valid():
            return self.respond(answer, form, status=200 if is_htmx(request) else 400)
        try:
            services_rounds.save_answer(answer, request.user, **form.answer_values())
        except rounds.RoundRefused as exc:
            return self.refuse(answer, str(exc))
        if is_htmx(request):
            return self.row(answer, may_edit=True)
        messages.success(request, _("Saved."))
        return redirect(answers_page_url(answer.round, self.department_param(answer)))

    def form(self, answer: ProtectionAnswer, data=None) -> AnswerForm:
        row_form = f"answer-form-{answer.pk}" if is_htmx(self.request) else None
        return AnswerForm(data, answer=answer, asked=answer.round.fields, row_form=row_form)

    def department_param(self, answer: ProtectionAnswer) -> int | None:
        return answer.department_id if scope_for(self.request.user).reads_whole_body else None

    def row(self, answer: ProtectionAnswer, *, may_edit: bool) -> HttpResponse:
        return TemplateResponse(
            self.request,
            "security/rounds/row.html",
            {"row": AnswerRow(answer, may_edit), "asked": answer.round.fields},
        )

    def respond(self, answer: ProtectionAnswer, form: AnswerForm, status: int = 200) -> HttpResponse:
        if is_htmx(self.request):
            return TemplateResponse(
                self.request,
                "security/rounds/row_form.html",
                {"row": AnswerRow(answer, True), "form": form, "asked": answer.round.fields},
                status=status,
            )
        back = answers_page_url(answer.round, self.department_param(answer))
        context = self.get_context_data(
            answer=answer,
            form=form,
            title=str(answer.system),
            cancel_url=back,
            breadcrumbs=round_breadcrumbs(answer.round, (_("Answers"), back), (str(answer.system), None)),
        )
        return self.render_to_response(context, status=status)

    def refuse(self, answer: ProtectionAnswer, message: str) -> HttpResponse:
        """A change the round does not allow: say why on the answers page, which now shows them read-only."""
        messages.error(self.request, message)
        back = answers_page_url(answer.round, self.department_param(answer))
        if is_htmx(self.request):
            response = HttpResponse(status=200)
            response["HX-Redirect"] = back
            return response
        return redirect(back)


class RoundSubmitView(ScopeRequiredMixin, View):
    """A department hands in its answers (the office may do so on a department's behalf)."""

    scope_test = "may_write"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        survey = get_object_or_404(rounds_for(request.user), pk=kwargs["pk"])
        department_id = chosen_department(request)
        if department_id is None:
            raise Http404
        participation = get_object_or_404(
            RoundParticipation.objects.restrict(request.user, VIEW), round=survey, department_id=department_id
        )
        if not answers_for(request.user, survey, department_id, CHANGE).exists():
            raise Http404
        try:
            rounds.submit(survey, department_id, request.user)
        except rounds.RoundRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("The answer of %(department)s has been submitted.")
                % {"department": participation.department},
            )
        whole_body = scope_for(request.user).reads_whole_body
        return redirect(answers_page_url(survey, department_id if whole_body else None))


class AnswersXlsxView(ScopeRequiredMixin, View):
    """The answers the user may see in a round, one department's (or, for the office, all), as a sheet.

    Written in the survey importer's columns, so that the department fills it in and imports it back
    into the round.
    """

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        survey = get_object_or_404(rounds_for(request.user), pk=kwargs["pk"])
        department_id = chosen_department(request)
        importer = SecuritySurveyImporter(request.user, round=survey.name)
        headers = [column.label for column in importer.columns]
        rows = importer.export_rows(answers_for(request.user, survey, department_id))
        name = f"security-round-{survey.pk}-answers" + (f"-{department_id}" if department_id else "")
        return sheet_response(headers, rows, "xlsx", name, sheet_title="回答")


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


class RoundCompareView(ScopeRequiredMixin, TemplateView):
    """This round's coverage figures next to the previous round's, and the systems whose coverage changed.

    Both rounds are read through restrict(): a department sees its own systems only.
    """

    template_name = "security/rounds/round_compare.html"

    def get(self, request, *args, **kwargs):
        self.survey = get_object_or_404(rounds_for(request.user).select_related("previous"), pk=kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user = self.request.user
        survey = self.survey
        previous = survey.previous
        if previous is not None and (
            previous.kind != KIND or not rounds_for(user).filter(pk=previous.pk).exists()
        ):
            previous = None
        current = placed_answers(answers_for(user, survey, None))
        before = placed_answers(answers_for(user, previous, None)) if previous else None
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
            "answers_url": answers_page_url(survey),
            "title": _("%(round)s: comparison with the previous round") % {"round": survey.name},
            "breadcrumbs": round_breadcrumbs(survey, (_("Comparison with the previous round"), None)),
        }
