"""The survey round pages every registry shares: the list, opening a round, progress and the office's actions.

What differs per registry comes from its RoundKind (karte.core.rounds). Two optional parts of a kind are
looked up here: `answers_url_name`, the page where a department answers (by default
"<kind>:round_answers", taking the round's pk and ?department=<id>), and `answer_counts(survey)`, returning
{department id: number of answers} for the progress table.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from karte.core import rounds
from karte.core.choices import ParticipationStatus
from karte.core.fiscal import format_fiscal_year
from karte.core.generic import PER_PAGE, ScopeRequiredMixin, to_pk
from karte.core.models import RoundParticipation, SurveyRound
from karte.core.round_forms import RoundOpenForm
from karte.core.scoping import CHANGE, VIEW, scope_for
from karte.core.tables import Col, Table, bind


def kind_of(survey: SurveyRound) -> rounds.RoundKind | None:
    """Return the round's registry, None if its module is no longer installed."""
    try:
        return rounds.round_kind(survey.kind)
    except KeyError:
        return None


def kind_label(survey: SurveyRound) -> str:
    spec = kind_of(survey)
    return str(spec.label) if spec else survey.kind


def answers_url(survey: SurveyRound) -> str | None:
    """Return the URL of the page where a department answers the round, None if the registry has none."""
    spec = kind_of(survey)
    if spec is None:
        return None
    url_name = getattr(spec, "answers_url_name", f"{survey.kind}:round_answers")
    try:
        return reverse(url_name, kwargs={"pk": survey.pk})
    except NoReverseMatch:
        return None


def rounds_for(user):
    """Return the rounds the user may see.

    The office and auditors get each round's count of departments and of those that submitted; everyone
    else the status of their own department's answer (None where it takes no part).
    """
    scope = scope_for(user)
    visible = SurveyRound.objects.restrict(user, VIEW)
    if scope.reads_whole_body:
        return visible.annotate(
            departments=Count("participations"),
            submitted=Count("participations", filter=Q(participations__status=ParticipationStatus.SUBMITTED)),
        )
    own = RoundParticipation.objects.filter(round=OuterRef("pk"), department_id=scope.department_id)
    return visible.annotate(own_status=Subquery(own.values("status")[:1]))


def _own_status(survey: SurveyRound) -> str:
    return ParticipationStatus(survey.own_status).label if survey.own_status else _("Not taking part")


class RoundTable(Table):
    columns = [
        Col("name", gettext_lazy("Name"), order_by="name", link=True),
        Col(kind_label, gettext_lazy("Registry"), order_by="kind"),
        Col(lambda r: format_fiscal_year(r.fiscal_year), gettext_lazy("Fiscal year"), order_by="fiscal_year"),
        Col("deadline", gettext_lazy("Deadline"), order_by="deadline"),
        Col("get_status_display", gettext_lazy("Status"), order_by="status"),
        Col(lambda r: f"{r.submitted} / {r.departments}", gettext_lazy("Departments submitted")),
        Col("opened_at", gettext_lazy("Opened at"), order_by="opened_at"),
    ]
    default_order = "-opened_at"
    caption = gettext_lazy("Survey rounds")
    empty_text = gettext_lazy("No survey round has been opened yet.")

    def link_for(self, obj, column):
        return reverse("core:round_detail", kwargs={"pk": obj.pk})


class DepartmentRoundTable(RoundTable):
    """The list as a department sees it: its own answer's status instead of everyone's progress."""

    columns = [*RoundTable.columns[:5], Col(_own_status, gettext_lazy("Your department's answer"))]


class RoundListView(ScopeRequiredMixin, TemplateView):
    """Every member of a body sees its rounds; only the office opens one."""

    template_name = "core/rounds/round_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        table_class = RoundTable if scope_for(user).reads_whole_body else DepartmentRoundTable
        table = table_class(self.request.GET)
        page = Paginator(table.order(rounds_for(user)), PER_PAGE).get_page(self.request.GET.get("page"))
        return {
            **super().get_context_data(**kwargs),
            "title": _("Survey rounds"),
            "table": bind(table, page.object_list),
            "page_obj": page,
            "paginator": page.paginator,
            "open_url": reverse("core:round_open") if scope_for(user).is_office else None,
            "breadcrumbs": [(_("Survey rounds"), None)],
        }


class RoundOpenView(ScopeRequiredMixin, TemplateView):
    scope_test = "is_office"
    template_name = "core/rounds/round_open.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=RoundOpenForm(user=request.user)))

    def post(self, request, *args, **kwargs):
        form = RoundOpenForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        data = form.cleaned_data
        try:
            survey = rounds.open_round(
                user=request.user,
                body=data["body"],
                kind=data["kind"],
                name=data["name"],
                fiscal_year=data["fiscal_year"],
                deadline=data["deadline"],
                fields=data["fields"],
                previous=data["previous"],
            )
        except rounds.RoundRefused as exc:
            messages.error(request, str(exc))
            return redirect("core:round_list")
        messages.success(request, _("The round has been opened."))
        return redirect("core:round_detail", pk=survey.pk)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "title": _("Open a survey round"),
            "cancel_url": reverse("core:round_list"),
            "breadcrumbs": [(_("Survey rounds"), reverse("core:round_list")), (_("Open a round"), None)],
        }


class RoundDetailView(ScopeRequiredMixin, TemplateView):
    """Progress per department. The office and auditors see every department; others their own."""

    template_name = "core/rounds/round_detail.html"

    def get(self, request, *args, **kwargs):
        self.survey = get_object_or_404(SurveyRound.objects.restrict(request.user, VIEW), pk=kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user = self.request.user
        survey = self.survey
        scope = scope_for(user)
        participations = list(
            RoundParticipation.objects.restrict(user, VIEW)
            .filter(round=survey)
            .select_related("department", "submitted_by")
        )
        spec = kind_of(survey)
        answer_counts = spec.answer_counts(survey)
        whole_body = scope.reads_whole_body
        base_answers_url = answers_url(survey)
        rows = [
            {
                "participation": p,
                "answers": answer_counts.get(p.department_id),
                "answers_url": f"{base_answers_url}?department={p.department_id}"
                if base_answers_url
                else None,
                "may_send_back": p.status == ParticipationStatus.SUBMITTED,
            }
            for p in participations
        ]
        by_status = {status: 0 for status in ParticipationStatus}
        for p in participations:
            by_status[ParticipationStatus(p.status)] += 1
        acts = scope.is_office and survey.is_open
        return {
            **super().get_context_data(**kwargs),
            "survey": survey,
            "title": survey.name,
            "kind_label": kind_label(survey),
            "field_labels": self.field_labels(survey),
            "rows": rows,
            "whole_body": whole_body,
            "status_counts": [(status.label, n) for status, n in by_status.items()] if whole_body else [],
            "not_done": sum(n for status, n in by_status.items() if status != ParticipationStatus.SUBMITTED),
            "office_acts": acts,
            "breadcrumbs": [(_("Survey rounds"), reverse("core:round_list")), (survey.name, None)],
        }

    @staticmethod
    def field_labels(survey: SurveyRound) -> list[str]:
        spec = kind_of(survey)
        labels = dict(spec.answer_fields) if spec else {}
        return [str(labels.get(name, name)) for name in survey.fields]


class OfficeRoundActionView(ScopeRequiredMixin, View):
    """A POST of the office on one round of its body; the round's refusals come back as messages."""

    scope_test = "is_office"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        survey = get_object_or_404(SurveyRound.objects.restrict(request.user, CHANGE), pk=kwargs["pk"])
        try:
            self.act(survey)
        except rounds.RoundRefused as exc:
            messages.error(request, str(exc))
        return redirect("core:round_detail", pk=survey.pk)

    def act(self, survey: SurveyRound) -> None:
        raise NotImplementedError


class RoundRemindView(OfficeRoundActionView):
    def act(self, survey):
        sent = rounds.send_reminders(survey, self.request.user)
        messages.success(self.request, _("%(count)d reminder e-mails have been sent.") % {"count": sent})


class RoundSendBackView(OfficeRoundActionView):
    def act(self, survey):
        department_id = to_pk(self.request.POST.get("department"))
        if department_id is None:
            raise Http404
        participation = get_object_or_404(
            survey.participations.select_related("department"), department_id=department_id
        )
        rounds.send_back(survey, department_id, self.request.user)
        messages.success(
            self.request,
            _("The answer of %(department)s has been sent back.") % {"department": participation.department},
        )


class RoundCloseView(OfficeRoundActionView):
    def act(self, survey):
        rounds.close_round(survey, self.request.user)
        messages.success(self.request, _("The round has been closed. Its answers no longer change."))
