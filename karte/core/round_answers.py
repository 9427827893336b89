"""The pages where a department answers a survey round, written once for every registry that has them.

An app subclasses these views with a small mixin naming its registry (RoundAnswersMixin: kind, answer
model, URL namespace, importer); what stays in the app is how one answer is shown, edited and saved.
Answers are read through `answer_model.objects.restrict(user, VIEW)` and changed only when
`restrict(user, CHANGE)` reaches them and the round lets the department answer (core.rounds).
"""

from __future__ import annotations

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
from karte.core.generic import ScopeRequiredMixin, sheet_response, to_pk
from karte.core.models import RoundParticipation, SurveyRound
from karte.core.scoping import CHANGE, VIEW, scope_for

# A department's answers usually fit on one page; larger ones come in pages of this size.
ANSWERS_PER_PAGE = 100


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def refusal(survey: SurveyRound, department_id: int, user) -> str | None:
    """Return why the user may not change the department's answers now, None if they may."""
    try:
        rounds.ensure_answerable(survey, department_id, user)
    except rounds.RoundRefused as exc:
        return str(exc)
    return None


def round_breadcrumbs(survey: SurveyRound, *rest) -> list[tuple[str, str | None]]:
    return [
        (_("Survey rounds"), reverse("core:round_list")),
        (survey.name, reverse("core:round_detail", kwargs={"pk": survey.pk})),
        *rest,
    ]


def round_notice(
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


class RoundAnswersMixin:
    """The registry a view answers for; each app sets these once in its own mixin."""

    kind: str = ""
    answer_model = None
    # The app's URL namespace, holding round_answers, round_submit (and answers_xlsx, answer_edit).
    app: str = ""
    # The importer whose columns the sheet is written in, None where answers have no sheet.
    importer_class = None

    def rounds(self):
        return SurveyRound.objects.restrict(self.request.user, VIEW).filter(kind=self.kind)

    def answers_in(self, survey: SurveyRound, department_id: int | None = None, action: str = VIEW):
        """Return the round's answers the user may see (or change), of one department or, if None, of all."""
        answers = self.answer_model.objects.restrict(self.request.user, action).filter(round=survey)
        if department_id is not None:
            answers = answers.filter(department_id=department_id)
        return answers

    def chosen_department(self) -> int | None:
        """Return the department the page is about: the user's own, or the office's ?department= (or POST)."""
        request = self.request
        scope = scope_for(request.user)
        raw = request.POST.get("department") if request.method == "POST" else request.GET.get("department")
        if not scope.reads_whole_body:
            # A change posted for another department is refused, not quietly made to the user's own.
            if request.method == "POST" and raw and raw != str(scope.department_id):
                raise Http404
            return scope.department_id
        if not raw:
            return None
        department_id = to_pk(raw)
        if department_id is None:
            raise Http404
        return department_id

    def answers_page_url(self, survey: SurveyRound, department_id: int | None = None) -> str:
        url = reverse(f"{self.app}:round_answers", kwargs={"pk": survey.pk})
        return f"{url}?department={department_id}" if department_id else url

    def back_url(self, survey: SurveyRound, department_id: int) -> str:
        """The answers page to go back to: naming the department only for the office, which chooses it."""
        whole_body = scope_for(self.request.user).reads_whole_body
        return self.answers_page_url(survey, department_id if whole_body else None)


class RoundAnswersView(RoundAnswersMixin, ScopeRequiredMixin, TemplateView):
    """A department's answers to a round, editable while the department may answer.

    By default they are a paged table of `row_class` rows with the sheet to download and import; an app
    showing them otherwise overrides answers_context().
    """

    row_class = None

    def get(self, request, *args, **kwargs):
        self.survey = get_object_or_404(self.rounds(), pk=kwargs["pk"])
        self.department_id = self.chosen_department()
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
        may_edit = may_submit = False
        notice = None
        if participation is not None:
            department_id = participation.department_id
            may_change = self.answers_in(survey, department_id, CHANGE).exists()
            refused = refusal(survey, department_id, user) if may_change else None
            may_edit = may_change and refused is None
            may_submit = may_edit and participation.status != ParticipationStatus.SUBMITTED
            notice = round_notice(survey, participation, office_corrects=may_edit and scope.is_office)
        return {
            **super().get_context_data(**kwargs),
            "survey": survey,
            "participation": participation,
            "department_choices": self.department_choices() if scope.reads_whole_body else None,
            "department_id": self.department_id,
            "may_edit": may_edit,
            "may_submit": may_submit,
            "submit_url": reverse(f"{self.app}:round_submit", kwargs={"pk": survey.pk}),
            "notice": notice,
            "title": survey.name,
            "breadcrumbs": round_breadcrumbs(survey, (_("Answers"), None)),
            **self.answers_context(may_edit),
        }

    def table_answers(self, department_id: int):
        """Return the department's answers in table order, with what the rows show joined."""
        raise NotImplementedError

    def answers_context(self, may_edit: bool) -> dict:
        page = None
        if self.participation is not None:
            answers = self.table_answers(self.participation.department_id)
            page = Paginator(answers, ANSWERS_PER_PAGE).get_page(self.request.GET.get("page"))
        return {
            "page_obj": page,
            "paginator": page.paginator if page else None,
            "rows": [self.row_class(a, may_edit) for a in page.object_list] if page else [],
            "asked": self.survey.fields,
            "xlsx_url": self.xlsx_url(),
            "import_url": self.import_url() if may_edit else None,
        }

    def department_choices(self):
        return (
            RoundParticipation.objects.restrict(self.request.user, VIEW)
            .filter(round=self.survey)
            .select_related("department")
        )

    def xlsx_url(self) -> str | None:
        if self.participation is None:
            return None
        url = reverse(f"{self.app}:answers_xlsx", kwargs={"pk": self.survey.pk})
        return f"{url}?department={self.participation.department_id}"

    def import_url(self) -> str | None:
        if not self.importer_class(self.request.user).permitted():
            return None
        url = reverse("core:import_new", kwargs={"kind": self.importer_class.kind})
        return f"{url}?{urlencode({'round': self.survey.name})}"


class AnswerEditView(RoundAnswersMixin, ScopeRequiredMixin, TemplateView):
    """Edit one answer as an htmx table row (GET the row form, POST it back for the row) or as a page."""

    scope_test = "may_write"
    row_class = None
    form_class = None
    answer_related: tuple[str, ...] = ()
    row_template = ""
    row_form_template = ""

    def subject(self, answer) -> str:
        """What the answer is about (its procedure, its system), for the page title and breadcrumbs."""
        raise NotImplementedError

    def save_answer(self, answer, form) -> None:
        """Save the valid form through the app's service; it raises RoundRefused when the round refuses."""
        raise NotImplementedError

    def get_answer(self):
        return get_object_or_404(
            self.answer_model.objects.restrict(self.request.user, CHANGE)
            .filter(round__kind=self.kind)
            .select_related(*self.answer_related),
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
            self.save_answer(answer, form)
        except rounds.RoundRefused as exc:
            return self.refuse(answer, str(exc))
        if is_htmx(request):
            return self.row(answer, may_edit=True)
        messages.success(request, _("Saved."))
        return redirect(self.back_url(answer.round, answer.department_id))

    def form(self, answer, data=None):
        row_form = f"answer-form-{answer.pk}" if is_htmx(self.request) else None
        return self.form_class(data, answer=answer, asked=answer.round.fields, row_form=row_form)

    def row(self, answer, *, may_edit: bool) -> HttpResponse:
        return TemplateResponse(
            self.request,
            self.row_template,
            {"row": self.row_class(answer, may_edit), "asked": answer.round.fields},
        )

    def respond(self, answer, form, status: int = 200) -> HttpResponse:
        if is_htmx(self.request):
            return TemplateResponse(
                self.request,
                self.row_form_template,
                {"row": self.row_class(answer, True), "form": form, "asked": answer.round.fields},
                status=status,
            )
        back = self.back_url(answer.round, answer.department_id)
        subject = self.subject(answer)
        context = self.get_context_data(
            answer=answer,
            form=form,
            title=subject,
            cancel_url=back,
            breadcrumbs=round_breadcrumbs(answer.round, (_("Answers"), back), (subject, None)),
        )
        return self.render_to_response(context, status=status)

    def refuse(self, answer, message: str) -> HttpResponse:
        """A change the round does not allow: say why on the answers page, which now shows them read-only."""
        messages.error(self.request, message)
        back = self.back_url(answer.round, answer.department_id)
        if is_htmx(self.request):
            response = HttpResponse(status=200)
            response["HX-Redirect"] = back
            return response
        return redirect(back)


class RoundSubmitView(RoundAnswersMixin, ScopeRequiredMixin, View):
    """A department hands in its answers (the office may do so on a department's behalf)."""

    scope_test = "may_write"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        survey = get_object_or_404(self.rounds(), pk=kwargs["pk"])
        department_id = self.chosen_department()
        if department_id is None:
            raise Http404
        participation = get_object_or_404(
            RoundParticipation.objects.restrict(request.user, VIEW), round=survey, department_id=department_id
        )
        if not self.answers_in(survey, department_id, CHANGE).exists():
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
        return redirect(self.back_url(survey, department_id))


class AnswersXlsxView(RoundAnswersMixin, ScopeRequiredMixin, View):
    """The answers the user may see in a round, one department's (or, for the office, all), as a sheet.

    Written in the importer's columns, so that the department fills it in and imports it back into the round.
    """

    http_method_names = ["get"]
    # The file is named "<file_prefix>-<round pk>-answers[-<department id>].xlsx".
    file_prefix = "round"

    def get(self, request, *args, **kwargs):
        survey = get_object_or_404(self.rounds(), pk=kwargs["pk"])
        department_id = self.chosen_department()
        importer = self.importer_class(request.user, round=survey.name)
        headers = [column.label for column in importer.columns]
        rows = importer.export_rows(self.answers_in(survey, department_id))
        name = f"{self.file_prefix}-{survey.pk}-answers" + (f"-{department_id}" if department_id else "")
        return sheet_response(headers, rows, "xlsx", name, sheet_title="回答")
