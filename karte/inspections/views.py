"""Pages of the self-inspection: results, the question set, follow-up actions, evidence files.

The pages where departments answer a round are in answer_views.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from karte.core import rounds
from karte.core.charts import bar_chart
from karte.core.choices import OrgUnitKind
from karte.core.generic import (
    BodyOwnedEditView,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
    ScopeRequiredMixin,
    requested_record,
    to_pk,
)
from karte.core.models import OrgUnit
from karte.core.scoping import CHANGE, VIEW, scope_for
from karte.core.tables import bind
from karte.core.uploads import attachment_response
from karte.inspections import selectors, services
from karte.inspections.filters import (
    FollowUpActionFilterSet,
    InspectionQuestionFilterSet,
    with_status_rank,
)
from karte.inspections.forms import (
    FollowUpActionForm,
    InspectionQuestionForm,
    InspectionSectionForm,
    ResultsForm,
)
from karte.inspections.models import FollowUpAction, InspectionEvidence, InspectionQuestion, InspectionSection
from karte.inspections.tables import (
    DepartmentScoreTable,
    FollowUpActionTable,
    InspectionQuestionTable,
    InspectionSectionTable,
    SectionScoreTable,
    SystemScoreTable,
    WeakestQuestionTable,
)
from karte.systems.models import System


def score_chart(scores) -> dict:
    """Horizontal bars of scores in % (0–100); groups nothing could be scored on show no bar."""
    option = bar_chart(
        [score.label for score in scores],
        [(_("Score (%)"), [float(s.percent) if s.percent is not None else None for s in scores])],
        horizontal=True,
    )
    option["xAxis"].update(max=100, axisLabel={"formatter": "{value}%"})
    return option


class ModuleMixin:
    """Every self-inspection page links to the others."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "is_office": scope_for(self.request.user).is_office}


# --- results ----------------------------------------------------------------------------------------
class ResultsView(ModuleMixin, ScopeRequiredMixin, TemplateView):
    """A round's scores by section, department and system, and the weakest questions.

    The office and auditors read the whole body (or one department, ?department=); everyone else their
    own department's systems only: the answers come through restrict().
    """

    template_name = "inspections/results.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        scope = scope_for(user)
        form = ResultsForm(self.request.GET, user=user)
        chosen = form.cleaned_data if form.is_valid() else {}
        survey = chosen.get("round") or selectors.inspection_rounds(user).first()
        title = _("Self-inspection results")
        context = {
            **super().get_context_data(**kwargs),
            "title": title,
            "breadcrumbs": [(title, None)],
            "survey": survey,
        }
        if survey is None:
            return context
        department = chosen.get("department")
        if department is not None and department.body_id != survey.body_id:
            department = None
        if not scope.reads_whole_body:
            department = OrgUnit.objects.filter(pk=scope.department_id, kind=OrgUnitKind.DEPARTMENT).first()
        answers = selectors.answers_for(user, survey, department.pk if department else None)
        overall = selectors.overall_score(answers)
        sections = selectors.section_scores(answers)
        departments = selectors.department_scores(answers) if scope.reads_whole_body else []
        results_url = reverse("inspections:results")
        for score in departments:
            score.extra["url"] = f"{results_url}?round={survey.pk}&department={score.key}"
        systems = selectors.system_scores(answers) if department is not None else []
        answers_url = reverse("inspections:round_answers", kwargs={"pk": survey.pk})
        for score in systems:
            score.extra["url"] = reverse(
                "inspections:system_answers", kwargs={"pk": survey.pk, "system_pk": score.key}
            )
        weakest = selectors.weakest_questions(answers)
        display_form = ResultsForm(
            user=user, initial={"round": survey.pk, "department": department.pk if department else None}
        )
        context.update(
            form=display_form,
            department=department,
            overall=overall,
            section_table=bind(SectionScoreTable(self.request.GET), sections),
            section_chart=score_chart(sections) if sections else None,
            department_table=bind(DepartmentScoreTable(self.request.GET), departments)
            if departments
            else None,
            department_chart=score_chart(departments) if departments else None,
            system_table=bind(SystemScoreTable(self.request.GET), systems)
            if department is not None
            else None,
            weakest_table=bind(WeakestQuestionTable(self.request.GET), weakest),
            answers_url=f"{answers_url}?department={department.pk}" if department else answers_url,
        )
        return context


# --- the question set -------------------------------------------------------------------------------
class InspectionSectionListView(ModuleMixin, ObjectListView):
    model = InspectionSection
    table_class = InspectionSectionTable
    template_name = "inspections/object_list.html"

    def get_queryset(self):
        return super().get_queryset().annotate(question_count=Count("questions"))

    def may_add(self) -> bool:
        return scope_for(self.request.user).is_office


class InspectionSectionDetailView(ObjectDetailView):
    model = InspectionSection
    template_name = "inspections/inspectionsection_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        questions = self.object.questions.select_related("section").order_by("order", "pk")
        context["question_table"] = bind(InspectionQuestionTable(self.request.GET), questions)
        return context


class InspectionSectionHistoryView(ObjectHistoryView):
    model = InspectionSection


class InspectionSectionEditView(BodyOwnedEditView):
    model = InspectionSection
    form_class = InspectionSectionForm


class InspectionSectionDeleteView(ObjectDeleteView):
    model = InspectionSection
    scope_test = "is_office"


class InspectionQuestionListView(ModuleMixin, ObjectListView):
    """The question set; the office installs the default questions from here."""

    model = InspectionQuestion
    table_class = InspectionQuestionTable
    filterset_class = InspectionQuestionFilterSet
    related = ("section",)
    template_name = "inspections/inspectionquestion_list.html"

    def may_add(self) -> bool:
        return scope_for(self.request.user).is_office

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scope = scope_for(self.request.user)
        context["install_url"] = reverse("inspections:install_defaults") if scope.is_office else None
        context["install_bodies"] = (
            OrgUnit.objects.filter(kind=OrgUnitKind.BODY).order_by("code") if scope.everything else None
        )
        return context


class InspectionQuestionDetailView(ObjectDetailView):
    model = InspectionQuestion
    template_name = "inspections/inspectionquestion_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("section")


class InspectionQuestionHistoryView(ObjectHistoryView):
    model = InspectionQuestion


class InspectionQuestionEditView(ObjectEditView):
    model = InspectionQuestion
    form_class = InspectionQuestionForm
    scope_test = "is_office"


class InspectionQuestionDeleteView(ObjectDeleteView):
    model = InspectionQuestion
    scope_test = "is_office"


class InstallDefaultsView(ScopeRequiredMixin, View):
    """The office adds the default questions its body does not have yet (POST)."""

    scope_test = "is_office"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        scope = scope_for(request.user)
        body_id = scope.body_id
        if body_id is None:
            # A system administrator belongs to no body and names one.
            body_id = to_pk(request.POST.get("body", ""))
        body = OrgUnit.objects.filter(pk=body_id, kind=OrgUnitKind.BODY).first() if body_id else None
        if body is None:
            messages.error(request, _("Choose the local government to install the questions for."))
            return redirect("inspections:inspectionquestion_list")
        created = services.install_default_questions(body, request.user)
        if created:
            messages.success(request, _("%(count)d default questions have been added.") % {"count": created})
        else:
            messages.info(request, _("Every default question is already there; nothing was added."))
        return redirect("inspections:inspectionquestion_list")


# --- follow-up actions ------------------------------------------------------------------------------
class FollowUpActionListView(ModuleMixin, ObjectListView):
    model = FollowUpAction
    table_class = FollowUpActionTable
    filterset_class = FollowUpActionFilterSet
    related = ("unit", "unit__department", "system")
    template_name = "inspections/object_list.html"

    def get_queryset(self):
        return with_status_rank(super().get_queryset())


class FollowUpActionDetailView(ObjectDetailView):
    model = FollowUpAction
    template_name = "inspections/followupaction_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("unit", "unit__department", "system", "question", "question__section", "round")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        system = self.object.system
        visible = System.objects.restrict(self.request.user, VIEW).filter(pk=system.pk).exists()
        context["system_url"] = system.get_absolute_url() if visible else None
        return context


class FollowUpActionHistoryView(ObjectHistoryView):
    model = FollowUpAction


class FollowUpActionEditView(ObjectEditView):
    """Add (pre-filled from ?system=&question=&round=, as from a 未実施 answer) or edit an action."""

    model = FollowUpAction
    form_class = FollowUpActionForm

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        initial = self.prefill() if self.object is None else {}
        form = self.form_class(instance=self.object, user=request.user, initial=initial)
        return self.render_to_response(self.get_context_data(form=form))

    def prefill(self) -> dict:
        """Initial values from the query string, only those the user may choose."""
        params = self.request.GET
        user = self.request.user
        initial = {}
        system = requested_record(self.request, System, "system")
        if system is None:
            return initial
        initial["system"] = system.pk
        initial["unit"] = system.unit_id
        question_id = to_pk(params.get("question", ""))
        if question_id:
            question = (
                InspectionQuestion.objects.restrict(user, VIEW)
                .filter(pk=question_id, section__body_id=system.body_id)
                .first()
            )
            if question is not None:
                initial["question"] = question.pk
                initial["description"] = _("Put in place: %(question)s") % {"question": question.text}
        round_id = to_pk(params.get("round", ""))
        if round_id:
            survey = selectors.inspection_rounds(user).filter(pk=round_id, body_id=system.body_id).first()
            if survey is not None:
                initial["round"] = survey.pk
        return initial

    def save(self, form):
        return services.save_action(form.save(commit=False), self.request.user)


class FollowUpActionDeleteView(ObjectDeleteView):
    model = FollowUpAction

    def remove(self, obj) -> None:
        services.delete_action(obj, self.request.user)


# --- evidence files ---------------------------------------------------------------------------------
class EvidenceDownloadView(ScopeRequiredMixin, View):
    """An evidence file, to those who may see its answer; 404 to everyone else."""

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        evidence = get_object_or_404(InspectionEvidence.objects.restrict(request.user, VIEW), pk=kwargs["pk"])
        return attachment_response(evidence.file, evidence.original_name)


class EvidenceDeleteView(ScopeRequiredMixin, View):
    """Remove an evidence file (POST) while its answer may still change."""

    scope_test = "may_write"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        evidence = get_object_or_404(
            InspectionEvidence.objects.restrict(request.user, CHANGE).select_related(
                "answer", "answer__round"
            ),
            pk=kwargs["pk"],
        )
        answer = evidence.answer
        try:
            services.delete_evidence(evidence, request.user)
        except rounds.RoundRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("The file %(name)s has been removed.") % {"name": evidence.original_name}
            )
        url = reverse(
            "inspections:system_answers", kwargs={"pk": answer.round_id, "system_pk": answer.system_id}
        )
        return redirect(url)
