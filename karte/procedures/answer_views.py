"""Answering a procedures survey round: a department's answers on the page, row by row, and as a sheet.

Answers are read through `ProcedureAnswer.objects.restrict(user, VIEW)` and changed only when
`restrict(user, CHANGE)` reaches them and the round lets the department answer (core.rounds); every change
goes through services.save_answer, so the KPIs follow and a closed round never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from karte.core import rounds
from karte.core.choices import ParticipationStatus
from karte.core.generic import ScopeRequiredMixin, sheet_response
from karte.core.models import RoundParticipation, SurveyRound
from karte.core.scoping import CHANGE, VIEW, scope_for
from karte.procedures import services
from karte.procedures.answer_forms import AnswerForm
from karte.procedures.choices import OnlineStatus, Reason
from karte.procedures.importers import ProceduresImporter
from karte.procedures.models import ProcedureAnswer
from karte.procedures.rounds import ProcedureRound

KIND = ProcedureRound.kind
# A department's answers usually fit on one page; larger ones come in pages of this size.
ANSWERS_PER_PAGE = 100


@dataclass
class AnswerRow:
    """One answer as a table row shows it."""

    answer: ProcedureAnswer
    may_edit: bool

    @property
    def status_label(self) -> str:
        return OnlineStatus(self.answer.status).label if self.answer.status else ""

    @property
    def reason_labels(self) -> list[str]:
        return [Reason(r).label for r in self.answer.reasons if r in Reason.values]


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def rounds_for(user):
    return SurveyRound.objects.restrict(user, VIEW).filter(kind=KIND)


def answers_for(user, survey: SurveyRound, department_id: int | None, action: str = VIEW):
    """Return the round's answers the user may see (or change), of one department or, if None, of all."""
    answers = ProcedureAnswer.objects.restrict(user, action).filter(round=survey)
    if department_id is not None:
        answers = answers.filter(department_id=department_id)
    return answers


def chosen_department(request) -> int | None:
    """Return the department the page is about: the user's own, or for the office ?department= (or POST)."""
    scope = scope_for(request.user)
    if not scope.reads_whole_body:
        return scope.department_id
    raw = request.POST.get("department") if request.method == "POST" else request.GET.get("department")
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
    url = reverse("procedures:round_answers", kwargs={"pk": survey.pk})
    return f"{url}?department={department_id}" if department_id else url


class RoundAnswersView(ScopeRequiredMixin, TemplateView):
    """A department's answers to a round, editable row by row while the department may answer."""

    template_name = "procedures/answers/round_answers.html"

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
                answers_for(user, survey, department_id)
                .select_related("procedure", "unit")
                .order_by("procedure__code", "procedure__name", "pk")
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
            "title": survey.name,
            "breadcrumbs": [
                (_("Survey rounds"), reverse("core:round_list")),
                (survey.name, reverse("core:round_detail", kwargs={"pk": survey.pk})),
                (_("Answers"), None),
            ],
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
        url = reverse("procedures:answers_xlsx", kwargs={"pk": self.survey.pk})
        return f"{url}?department={self.participation.department_id}"

    def import_url(self) -> str | None:
        if not ProceduresImporter(self.request.user).permitted():
            return None
        url = reverse("core:import_new", kwargs={"kind": ProceduresImporter.kind})
        return f"{url}?{urlencode({'round': self.survey.name})}"


class AnswerEditView(ScopeRequiredMixin, TemplateView):
    """Edit one answer as an htmx table row (GET the row form, POST it back for the row) or as a page."""

    scope_test = "may_write"
    template_name = "procedures/answers/answer_edit.html"

    def get_answer(self) -> ProcedureAnswer:
        return get_object_or_404(
            ProcedureAnswer.objects.restrict(self.request.user, CHANGE).select_related(
                "round", "procedure", "unit", "department"
            ),
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
            services.save_answer(answer, request.user, **form.cleaned_data)
        except rounds.RoundRefused as exc:
            return self.refuse(answer, str(exc))
        if is_htmx(request):
            return self.row(answer, may_edit=True)
        messages.success(request, _("Saved."))
        return redirect(answers_page_url(answer.round, self.department_param(answer)))

    def form(self, answer: ProcedureAnswer, data=None) -> AnswerForm:
        row_form = f"answer-form-{answer.pk}" if is_htmx(self.request) else None
        return AnswerForm(data, answer=answer, asked=answer.round.fields, row_form=row_form)

    def department_param(self, answer: ProcedureAnswer) -> int | None:
        return answer.department_id if scope_for(self.request.user).reads_whole_body else None

    def row(self, answer: ProcedureAnswer, *, may_edit: bool) -> HttpResponse:
        return TemplateResponse(
            self.request,
            "procedures/answers/row.html",
            {"row": AnswerRow(answer, may_edit), "asked": answer.round.fields},
        )

    def respond(self, answer: ProcedureAnswer, form: AnswerForm, status: int = 200) -> HttpResponse:
        if is_htmx(self.request):
            return TemplateResponse(
                self.request,
                "procedures/answers/row_form.html",
                {"row": AnswerRow(answer, True), "form": form, "asked": answer.round.fields},
                status=status,
            )
        back = answers_page_url(answer.round, self.department_param(answer))
        context = self.get_context_data(
            answer=answer,
            form=form,
            title=str(answer.procedure),
            cancel_url=back,
            breadcrumbs=[
                (_("Survey rounds"), reverse("core:round_list")),
                (answer.round.name, reverse("core:round_detail", kwargs={"pk": answer.round_id})),
                (_("Answers"), back),
                (str(answer.procedure), None),
            ],
        )
        return self.render_to_response(context, status=status)

    def refuse(self, answer: ProcedureAnswer, message: str) -> HttpResponse:
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

    Written in the procedures importer's columns, so that the department edits it and imports it back.
    """

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        survey = get_object_or_404(rounds_for(request.user), pk=kwargs["pk"])
        department_id = chosen_department(request)
        importer = ProceduresImporter(request.user, round=survey.name)
        headers = [column.label for column in importer.columns]
        rows = importer.export_rows(answers_for(request.user, survey, department_id))
        name = f"round-{survey.pk}-answers" + (f"-{department_id}" if department_id else "")
        return sheet_response(headers, rows, "xlsx", name, sheet_title="回答")
