"""Pages of the incident log: the list, one incident with its timeline, adding and editing, the timeline and
status forms (POST only), and the report file's download."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import View

from karte.core.generic import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
    ScopeRequiredMixin,
)
from karte.core.scoping import CHANGE, VIEW
from karte.core.uploads import attachment_response
from karte.incidents import selectors, services
from karte.incidents.filters import IncidentFilterSet
from karte.incidents.forms import IncidentForm, StatusChangeForm, TimelineEntryForm
from karte.incidents.models import Incident
from karte.incidents.tables import IncidentTable


class IncidentListView(ObjectListView):
    model = Incident
    table_class = IncidentTable
    filterset_class = IncidentFilterSet
    related = ("unit", "unit__department")

    def get_queryset(self):
        return selectors.with_ranks(super().get_queryset())


class IncidentDetailView(ObjectDetailView):
    model = Incident
    template_name = "incidents/incident_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("unit", "unit__department")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        incident, user = self.object, self.request.user
        may_change = context["edit_url"] is not None
        systems, hidden_systems = selectors.visible_systems(user, incident)
        context.update(
            timeline=selectors.timeline_of(user, incident),
            systems=systems,
            hidden_systems=hidden_systems,
            affected_units=incident.affected_units.order_by("code"),
            may_change=may_change,
            entry_form=TimelineEntryForm() if may_change else None,
            status_form=StatusChangeForm(incident=incident) if may_change else None,
            report_url=reverse("incidents:incident_report", kwargs={"pk": incident.pk})
            if incident.report_file
            else None,
        )
        return context


class IncidentHistoryView(ObjectHistoryView):
    model = Incident


class IncidentEditView(ObjectEditView):
    model = Incident
    form_class = IncidentForm
    refused_by = (services.IncidentError,)

    def save(self, form):
        data = form.cleaned_data
        return services.save_incident(
            form.save(commit=False),
            user=self.request.user,
            systems=data["systems"],
            affected_units=data["affected_units"],
            report_upload=data.get("report_upload"),
            remove_report=data.get("remove_report", False),
        )


class IncidentDeleteView(ObjectDeleteView):
    model = Incident

    def remove(self, obj) -> None:
        services.delete_incident(obj, user=self.request.user)


class IncidentChangeMixin(ScopeRequiredMixin):
    """POST-only pages that change one incident: writers who may change it; anyone else gets 404."""

    scope_test = "may_write"
    http_method_names = ["post"]

    def incident(self) -> Incident:
        return get_object_or_404(Incident.objects.restrict(self.request.user, CHANGE), pk=self.kwargs["pk"])

    def back(self, incident: Incident) -> HttpResponse:
        return redirect(f"{incident.get_absolute_url()}#timeline")

    def refuse(self, incident: Incident, form) -> HttpResponse:
        for errors in form.errors.values():
            for error in errors:
                messages.error(self.request, error)
        return self.back(incident)


class TimelineEntryAddView(IncidentChangeMixin, View):
    def post(self, request, *args, **kwargs):
        incident = self.incident()
        form = TimelineEntryForm(request.POST)
        if not form.is_valid():
            return self.refuse(incident, form)
        try:
            services.add_entry(incident, text=form.cleaned_data["text"], user=request.user)
        except services.IncidentError as refused:
            messages.error(request, str(refused))
            return self.back(incident)
        messages.success(request, _("The entry was added to the timeline."))
        return self.back(incident)


class StatusChangeView(IncidentChangeMixin, View):
    def post(self, request, *args, **kwargs):
        incident = self.incident()
        form = StatusChangeForm(request.POST, incident=incident)
        if not form.is_valid():
            return self.refuse(incident, form)
        try:
            services.change_status(
                incident, form.cleaned_data["status"], request.user, form.cleaned_data["note"]
            )
        except services.IncidentError as refused:
            messages.error(request, str(refused))
            return self.back(incident)
        messages.success(
            request, _("The response is now: %(status)s.") % {"status": incident.get_status_display()}
        )
        return self.back(incident)


class ReportDownloadView(ScopeRequiredMixin, View):
    """The incident's report file, for those who may see the incident."""

    def get(self, request, *args, **kwargs):
        incident = get_object_or_404(Incident.objects.restrict(request.user, VIEW), pk=kwargs["pk"])
        return attachment_response(incident.report_file, self.download_name(incident))

    @staticmethod
    def download_name(incident: Incident) -> str:
        suffix = incident.report_file.name.rsplit(".", 1)[-1] if "." in incident.report_file.name else ""
        return incident.report_file_name or f"{incident.reference}.{suffix}".rstrip(".")
