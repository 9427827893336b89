"""Pages of the procedures module: the inventory, the KPIs of a survey round, support cases (伴走支援) with
their hearings, form templates (申請画面テンプレート), and the office's overview of its support."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from karte.core.charts import bar_chart
from karte.core.fiscal import format_fiscal_year
from karte.core.generic import (
    BodyOwnedEditView,
    ChildRecordDeleteView,
    ChildRecordEditView,
    ChildRecordMixin,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
    ScopeRequiredMixin,
    requested_record,
)
from karte.core.models import OrgUnit, SurveyRound
from karte.core.scoping import VIEW, scope_for
from karte.core.tables import bind
from karte.procedures import selectors, services
from karte.procedures.choices import OnlineStatus, SupportStatus
from karte.procedures.filters import (
    FormTemplateFilterSet,
    ProcedureFilterSet,
    SupportCaseFilterSet,
    procedure_rounds,
    with_latest_status,
)
from karte.procedures.forms import (
    DEFAULT_TOP,
    FormTemplateForm,
    HearingForm,
    KpiForm,
    ProcedureForm,
    SupportCaseForm,
)
from karte.procedures.models import FormTemplate, Hearing, Procedure, ProcedureAnswer, SupportCase
from karte.procedures.tables import (
    AnswerHistoryTable,
    DepartmentCases,
    DepartmentCasesTable,
    DepartmentKpis,
    DepartmentKpiTable,
    FormTemplateTable,
    HearingTable,
    LiveCaseTable,
    Movement,
    MovementTable,
    PriorityTable,
    ProcedureBriefTable,
    ProcedureTable,
    SupportCaseBriefTable,
    SupportCaseTable,
    YearOverYearTable,
    applicants,
    comparisons,
    format_percent,
    reason_label,
)
from karte.systems.models import System

LIVE_CASES_SHOWN = 50


def percent_chart(categories: list[str], series: list[tuple[str, list]], *, horizontal: bool = False) -> dict:
    """Bars of percentages (0–100) with % on the value axis."""
    option = bar_chart(
        categories,
        [(name, [float(v) if v is not None else None for v in data]) for name, data in series],
        horizontal=horizontal,
    )
    value_axis = option["xAxis" if horizontal else "yAxis"]
    value_axis.update(max=100, axisLabel={"formatter": "{value}%"})
    return option


class ModuleMixin:
    """Every procedures page links to the others."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "is_office": scope_for(self.request.user).is_office}


# --- the inventory ----------------------------------------------------------------------------------
class ProcedureListView(ModuleMixin, ObjectListView):
    model = Procedure
    table_class = ProcedureTable
    filterset_class = ProcedureFilterSet
    importer_kind = "procedures"
    related = ("unit", "unit__department")
    template_name = "procedures/object_list.html"

    def get_queryset(self):
        return with_latest_status(super().get_queryset(), self.request.user)


class ProcedureDetailView(ObjectDetailView):
    model = Procedure
    template_name = "procedures/procedure_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("unit", "unit__department", "accepting_system", "form_template")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        procedure, user = self.object, self.request.user
        answers = (
            ProcedureAnswer.objects.restrict(user, VIEW)
            .filter(procedure=procedure)
            .select_related("round")
            .order_by("round__fiscal_year", "round__opened_at")
        )
        cases = SupportCase.objects.restrict(user, VIEW).filter(procedures=procedure)
        system = procedure.accepting_system
        may_write = scope_for(user).may_write
        context.update(
            applicants=applicants(procedure),
            answer_table=bind(AnswerHistoryTable(self.request.GET), answers),
            case_table=bind(SupportCaseBriefTable(self.request.GET), cases),
            system_url=system.get_absolute_url()
            if system is not None and System.objects.restrict(user, VIEW).filter(pk=system.pk).exists()
            else None,
            case_add_url=f"{reverse('procedures:supportcase_add')}?procedure={procedure.pk}"
            if may_write
            else None,
        )
        return context


class ProcedureHistoryView(ObjectHistoryView):
    model = Procedure


class ProcedureEditView(ObjectEditView):
    model = Procedure
    form_class = ProcedureForm

    def save(self, form):
        procedure = services.link_accepting_system(form.save(commit=False))
        procedure.save()
        form.save_m2m()
        return procedure


class ProcedureDeleteView(ObjectDeleteView):
    model = Procedure


# --- KPIs of a round --------------------------------------------------------------------------------
class KpiView(ModuleMixin, ScopeRequiredMixin, TemplateView):
    """A round's KPIs for the body or one department, read from the round summaries; only the priority
    list reads answers. Editors and viewers see their own department only."""

    template_name = "procedures/kpis.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        scope = scope_for(user)
        title = _("Online KPIs")
        form = KpiForm(self.request.GET, user=user)
        form.is_valid()
        chosen = form.cleaned_data
        survey = chosen.get("round") or procedure_rounds(user).first()
        context = {
            **super().get_context_data(**kwargs),
            "title": title,
            "breadcrumbs": [
                (str(Procedure._meta.verbose_name_plural), reverse("procedures:procedure_list")),
                (title, None),
            ],
            "survey": survey,
        }
        if survey is None:
            return context
        if scope.reads_whole_body:
            department = chosen.get("department")
            if department is not None and department.body_id != survey.body_id:
                department = None
        else:
            department = OrgUnit.objects.filter(pk=scope.department_id).first()
            if department is None:
                # A member placed above the departments reads no department's figures, and not the body's.
                raise PermissionDenied
        department_id = department.pk if department is not None else None
        top = chosen.get("top") or DEFAULT_TOP

        # The system administrator reads a round shared by many bodies (a national survey) as a whole;
        # everyone else reads the round's body.
        whole_round = scope.everything and department is None
        body_id = None if whole_round else survey.body_id
        kpis = selectors.round_kpis(survey, body_id=body_id, department_id=department_id)
        previous = self.previous_round(survey)
        answers = ProcedureAnswer.objects.restrict(user, VIEW).filter(round=survey)
        if department_id is not None:
            answers = answers.filter(department_id=department_id)
        elif not whole_round:
            # Name the body's departments on the answers' own column: in a round shared by many bodies the
            # planner would otherwise walk the volume index of every body to find a small body's largest.
            answers = answers.filter(department_id__in=selectors.department_ids(survey, survey.body_id))
        priorities, priority_share = selectors.priority_list(answers, top, kpis.volume)
        for rank, answer in enumerate(priorities, start=1):
            answer.rank = rank

        display_form = KpiForm(
            user=user, initial={"round": survey.pk, "department": department_id, "top": top}
        )
        if "department" in display_form.fields:
            display_form.fields["department"].queryset = display_form.fields["department"].queryset.filter(
                body_id=survey.body_id
            )
        context.update(
            form=display_form,
            department=department,
            kpis=kpis,
            shares={
                "online_by_count": format_percent(kpis.online_share_by_count),
                "online_by_volume": format_percent(kpis.online_share_by_volume),
                "planned": format_percent(kpis.planned_share),
                "later": format_percent(kpis.later_share),
            },
            planned_chart=self.planned_chart(kpis),
            reasons_chart=self.reasons_chart(kpis),
            top=top,
            priority_table=bind(PriorityTable(self.request.GET), priorities),
            priority_count=len(priorities),
            priority_share=format_percent(priority_share),
        )
        if scope.reads_whole_body and not whole_round and department is None:
            context.update(self.departments(survey))
        if previous is not None:
            context.update(self.year_over_year(previous, survey, department_id, kpis, whole_round))
        return context

    def previous_round(self, survey: SurveyRound) -> SurveyRound | None:
        """The round's own previous round, or else the body's latest round of an earlier fiscal year."""
        rounds = procedure_rounds(self.request.user).filter(body_id=survey.body_id)
        if survey.previous_id:
            return rounds.filter(pk=survey.previous_id).first()
        return rounds.filter(fiscal_year__lt=survey.fiscal_year).first()

    def departments(self, survey: SurveyRound) -> dict:
        rows = [
            DepartmentKpis(name, kpis)
            for name, kpis in selectors.kpis_by_department(survey, body_id=survey.body_id)
        ]
        table = DepartmentKpiTable(self.request.GET)
        chart = percent_chart(
            [row.name for row in rows],
            [
                (_("Online share by count"), [row.online_share_by_count for row in rows]),
                (_("Online share by volume"), [row.online_share_by_volume for row in rows]),
            ],
            horizontal=True,
        )
        return {"department_table": bind(table, table.sorted_rows(rows)), "department_chart": chart}

    def year_over_year(
        self, previous: SurveyRound, survey: SurveyRound, department_id, kpis, whole_round: bool = False
    ) -> dict:
        body_id = None if whole_round else previous.body_id
        before = selectors.round_kpis(previous, body_id=body_id, department_id=department_id)
        measures = [
            (_("Online share by count"), "online_share_by_count"),
            (_("Online share by volume"), "online_share_by_volume"),
            (_("Planned share"), "planned_share"),
            (_("Later or impossible share"), "later_share"),
        ]
        chart = percent_chart(
            [str(label) for label, _name in measures],
            [
                (previous.name, [getattr(before, name) for _label, name in measures]),
                (survey.name, [getattr(kpis, name) for _label, name in measures]),
            ],
        )
        table = YearOverYearTable(self.request.GET, previous_name=previous.name, current_name=survey.name)
        return {
            "previous": previous,
            "yoy_chart": chart,
            "yoy_table": bind(table, comparisons(before, kpis)),
        }

    @staticmethod
    def planned_chart(kpis) -> dict | None:
        if not kpis.planned_by_fy:
            return None
        years = sorted(kpis.planned_by_fy, key=lambda fy: (fy == 0, fy))
        return bar_chart(
            [format_fiscal_year(fy) if fy else _("Year not given") for fy in years],
            [(_("Procedures"), [kpis.planned_by_fy[fy] for fy in years])],
        )

    @staticmethod
    def reasons_chart(kpis) -> dict | None:
        if not kpis.reasons:
            return None
        reasons = sorted(kpis.reasons.items(), key=lambda kv: -kv[1])
        return bar_chart(
            [reason_label(reason) for reason, _n in reasons],
            [(_("Procedures"), [n for _reason, n in reasons])],
            horizontal=True,
        )


# --- support cases ----------------------------------------------------------------------------------
class SupportCaseListView(ModuleMixin, ObjectListView):
    model = SupportCase
    table_class = SupportCaseTable
    filterset_class = SupportCaseFilterSet
    related = ("unit", "unit__department")
    template_name = "procedures/object_list.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .annotate(
                procedure_count=Count("procedures", distinct=True),
                hearing_count=Count("hearings", distinct=True),
                last_hearing=Max("hearings__held_on"),
            )
        )


class SupportCaseDetailView(ObjectDetailView):
    model = SupportCase
    template_name = "procedures/supportcase_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("unit", "unit__department")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        case, user = self.object, self.request.user
        procedures = with_latest_status(
            Procedure.objects.restrict(user, VIEW).filter(support_cases=case), user
        ).select_related("unit", "unit__department")
        hearings = Hearing.objects.restrict(user, VIEW).filter(case=case).order_by("held_on", "pk")
        may_change = context["edit_url"] is not None
        context.update(
            procedure_table=bind(ProcedureBriefTable(self.request.GET), procedures),
            hearing_table=bind(HearingTable(self.request.GET), hearings),
            hearing_add_url=f"{reverse('procedures:hearing_add')}?case={case.pk}" if may_change else None,
        )
        return context


class SupportCaseHistoryView(ObjectHistoryView):
    model = SupportCase


class SupportCaseEditView(ObjectEditView):
    """A new case may start from a procedure's page (?procedure=ID): it names the procedure and its unit."""

    model = SupportCase
    form_class = SupportCaseForm

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        initial = {}
        procedure = requested_record(request, Procedure, "procedure", VIEW) if self.object is None else None
        if procedure is not None:
            initial = {"procedures": [procedure.pk], "unit": procedure.unit_id, "title": procedure.name}
        form = self.form_class(instance=self.object, user=request.user, initial=initial)
        return self.render_to_response(self.get_context_data(form=form))


class SupportCaseDeleteView(ObjectDeleteView):
    model = SupportCase


# --- hearings: read and changed from their case's page ----------------------------------------------
class CaseChildMixin(ChildRecordMixin):
    """Hearings are read and changed from their support case's page."""

    parent_field = "case"
    parent_list_url = "procedures:supportcase_list"
    parent_anchor = "hearings"


class HearingDetailView(CaseChildMixin, ObjectDetailView):
    model = Hearing
    template_name = "procedures/hearing_detail.html"


class HearingHistoryView(CaseChildMixin, ObjectHistoryView):
    model = Hearing


class HearingEditView(CaseChildMixin, ChildRecordEditView):
    model = Hearing
    form_class = HearingForm


class HearingDeleteView(CaseChildMixin, ChildRecordDeleteView):
    model = Hearing


# --- form templates: every member reads them, the office changes them ----------------------------------
class FormTemplateListView(ModuleMixin, ObjectListView):
    model = FormTemplate
    table_class = FormTemplateTable
    filterset_class = FormTemplateFilterSet
    template_name = "procedures/object_list.html"

    def get_queryset(self):
        # Counts of what the user may see: an editor does not learn of other departments' procedures.
        visible = Q(procedures__in=Procedure.objects.restrict(self.request.user, VIEW))
        return super().get_queryset().annotate(procedure_count=Count("procedures", filter=visible))

    def may_add(self) -> bool:
        return scope_for(self.request.user).is_office


class FormTemplateDetailView(ObjectDetailView):
    model = FormTemplate
    template_name = "procedures/formtemplate_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        procedures = with_latest_status(
            Procedure.objects.restrict(user, VIEW).filter(form_template=self.object), user
        ).select_related("unit", "unit__department")
        context["procedure_table"] = bind(ProcedureBriefTable(self.request.GET), procedures)
        return context


class FormTemplateHistoryView(ObjectHistoryView):
    model = FormTemplate


class FormTemplateEditView(BodyOwnedEditView):
    model = FormTemplate
    form_class = FormTemplateForm


class FormTemplateDeleteView(ObjectDeleteView):
    model = FormTemplate
    scope_test = "is_office"


# --- the office's overview of its support -------------------------------------------------------------
STATUS_RANK = {
    OnlineStatus.IMPOSSIBLE: 1,
    OnlineStatus.LATER: 2,
    OnlineStatus.PLANNED: 3,
    OnlineStatus.ONLINE: 4,
}


def supported_movements(user, cases) -> tuple[SurveyRound | None, SurveyRound | None, list[Movement]]:
    """Return the latest two procedure rounds and the supported procedures whose online status improved
    between them (unanswered statuses are not compared)."""
    rounds = procedure_rounds(user)
    latest = rounds.first()
    if latest is None:
        return None, None, []
    same_body = rounds.filter(body_id=latest.body_id)
    previous = (
        same_body.filter(pk=latest.previous_id).first()
        if latest.previous_id
        else same_body.filter(fiscal_year__lt=latest.fiscal_year).first()
    )
    if previous is None:
        return latest, None, []
    supported = SupportCase.procedures.through.objects.filter(supportcase__in=cases).values("procedure_id")
    statuses: dict[int, dict[int, str]] = {}
    for procedure_id, round_id, status in ProcedureAnswer.objects.filter(
        round_id__in=[latest.pk, previous.pk], procedure_id__in=supported
    ).values_list("procedure_id", "round_id", "status"):
        statuses.setdefault(procedure_id, {})[round_id] = status
    moved = {
        pk: pair
        for pk, pair in statuses.items()
        if STATUS_RANK.get(pair.get(latest.pk), 0) > STATUS_RANK.get(pair.get(previous.pk), 0) > 0
    }
    procedures = (
        Procedure.objects.restrict(user, VIEW)
        .filter(pk__in=list(moved))
        .select_related("unit", "unit__department")
        .order_by("unit__department__code", "code", "name")
    )
    movements = [
        Movement(
            procedure=p,
            department=p.unit.department.name if p.unit.department_id else "—",
            before=moved[p.pk].get(previous.pk),
            after=moved[p.pk].get(latest.pk),
        )
        for p in procedures
    ]
    return latest, previous, movements


class SupportOverviewView(ModuleMixin, ScopeRequiredMixin, TemplateView):
    """Which departments the office has supported, at what stage, and what moved."""

    scope_test = "is_office"
    template_name = "procedures/support_overview.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        title = _("Support overview")
        cases = SupportCase.objects.restrict(user, VIEW)
        departments: dict[int | None, DepartmentCases] = {}
        for department_id, name, status, n in (
            cases.values_list("unit__department_id", "unit__department__name", "status")
            .annotate(n=Count("pk"))
            .order_by("unit__department__code", "status")
        ):
            row = departments.setdefault(department_id, DepartmentCases(name or _("No department"), {}))
            row.by_status[status] = n
        rows = list(departments.values())
        statuses = list(SupportStatus.choices)
        chart = bar_chart(
            [row.name for row in rows],
            [(str(label), [row.by_status.get(value, 0) for row in rows]) for value, label in statuses],
            horizontal=True,
        )
        for series in chart["series"]:
            series["stack"] = "cases"
        live = (
            cases.filter(status=SupportStatus.LIVE)
            .select_related("unit", "unit__department")
            .order_by("-went_live_on", "-pk")[:LIVE_CASES_SHOWN]
        )
        latest, previous, movements = supported_movements(user, cases)
        return {
            **super().get_context_data(**kwargs),
            "title": title,
            "breadcrumbs": [
                (str(SupportCase._meta.verbose_name_plural), reverse("procedures:supportcase_list")),
                (title, None),
            ],
            "department_count": len(rows),
            "case_count": sum(row.total for row in rows),
            "live_count": sum(row.by_status.get(SupportStatus.LIVE, 0) for row in rows),
            "department_table": bind(DepartmentCasesTable(self.request.GET, statuses=statuses), rows),
            "department_chart": chart if rows else None,
            "live_table": bind(LiveCaseTable(self.request.GET), live),
            "latest": latest,
            "previous": previous,
            "movement_table": bind(MovementTable(self.request.GET), movements),
            "movement_count": len(movements),
        }
