"""Pages of the vulnerability findings: the findings and their hosts, and the overdue list."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, ProtectedError, Q, RestrictedError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from karte.core.generic import (
    EXPORT_FORMATS,
    PER_PAGE,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
    ScopeRequiredMixin,
    requested_record,
    sheet_response,
)
from karte.core.importing.registry import get_importer
from karte.core.scoping import VIEW
from karte.core.tables import bind
from karte.systems.models import System
from karte.vulnerabilities import selectors, services
from karte.vulnerabilities.filters import FindingFilterSet, HostFilterSet
from karte.vulnerabilities.forms import FindingForm, HostForm
from karte.vulnerabilities.models import Finding, Host
from karte.vulnerabilities.tables import FindingTable, HostFindingTable, HostTable, OverdueTable

KARTE_ANCHOR = "vulnerabilities"


def karte_url(system) -> str:
    return f"{system.get_absolute_url()}#{KARTE_ANCHOR}"


class FromSystemMixin:
    """Adding from a system's karte: ?system=ID chooses the system, if the user may change it."""

    def requested_system(self):
        return requested_record(self.request, System, "system")

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        system = self.requested_system() if self.object is None else None
        initial = {"system": system.pk} if system is not None else {}
        form = self.form_class(instance=self.object, user=request.user, initial=initial)
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        system = self.requested_system() if self.object is None else None
        if system is not None:
            context["cancel_url"] = karte_url(system)
        return context


# --- Findings ---------------------------------------------------------------------------------------
class FindingListView(ObjectListView):
    model = Finding
    table_class = FindingTable
    filterset_class = FindingFilterSet
    importer_kind = "vulnerabilities"
    related = selectors.LIST_RELATED
    template_name = "vulnerabilities/finding_list.html"

    def get_queryset(self):
        return super().get_queryset().with_status_rank()

    def get_context_data(self, **kwargs):
        scanner = get_importer("scanner-csv")(self.request.user)
        return {
            **super().get_context_data(**kwargs),
            "scanner_import_url": reverse("core:import_new", kwargs={"kind": scanner.kind})
            if scanner.permitted()
            else None,
            "overdue_url": reverse("vulnerabilities:overdue"),
        }


class FindingDetailView(ObjectDetailView):
    model = Finding
    template_name = "vulnerabilities/finding_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related(*selectors.LIST_RELATED)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "karte_url": karte_url(self.object.system)}


class FindingHistoryView(ObjectHistoryView):
    model = Finding


class FindingEditView(FromSystemMixin, ObjectEditView):
    model = Finding
    form_class = FindingForm

    def save(self, form):
        return services.save_finding(form.save(commit=False), user=self.request.user)


class FindingDeleteView(ObjectDeleteView):
    model = Finding

    def remove(self, obj) -> None:
        services.delete_finding(obj, user=self.request.user)


class OverdueView(ScopeRequiredMixin, TemplateView):
    """Unfixed findings past their due date, the longest overdue first, with the department to chase."""

    template_name = "vulnerabilities/overdue.html"

    def get(self, request, *args, **kwargs):
        findings = selectors.overdue_findings(request.user)
        table = OverdueTable(request.GET)
        export = request.GET.get("export")
        if export in EXPORT_FORMATS:
            headers = [str(c.label) for c in table.columns]
            rows = ([cell.text for cell in row] for row in table.rows(findings.iterator()))
            return sheet_response(headers, rows, export, "overdue_findings", sheet_title=_("Overdue"))
        self.table = table
        self.page_obj = Paginator(findings, PER_PAGE).get_page(request.GET.get("page"))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        by_department = (
            selectors.overdue_findings(self.request.user)
            .order_by()
            .values("system__unit__department__name", "system__unit__department__code")
            .annotate(n=Count("pk"))
            .order_by("system__unit__department__code")
        )
        title = _("Overdue vulnerability findings")
        return {
            **super().get_context_data(**kwargs),
            "title": title,
            "table": bind(self.table, self.page_obj.object_list),
            "page_obj": self.page_obj,
            "paginator": self.page_obj.paginator,
            "by_department": list(by_department),
            "today": timezone.localdate(),
            "breadcrumbs": [
                (str(Finding._meta.verbose_name_plural), reverse("vulnerabilities:finding_list")),
                (title, None),
            ],
        }


# --- Hosts ------------------------------------------------------------------------------------------
class HostListView(ObjectListView):
    model = Host
    table_class = HostTable
    filterset_class = HostFilterSet
    related = ("system", "system__unit", "system__unit__department")

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .annotate(open_findings=Count("findings", filter=Q(findings__fixed_on__isnull=True)))
        )


class HostDetailView(ObjectDetailView):
    model = Host
    template_name = "vulnerabilities/host_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("system", "system__unit__department")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        findings = (
            Finding.objects.restrict(self.request.user, VIEW)
            .filter(host=self.object)
            .with_status_rank()
            .order_by("status_rank", "due_on", "pk")
        )
        context.update(
            finding_table=bind(HostFindingTable(self.request.GET), findings),
            karte_url=karte_url(self.object.system),
            finding_add_url=f"{reverse('vulnerabilities:finding_add')}?system={self.object.system_id}"
            if context["edit_url"]
            else None,
        )
        return context


class HostHistoryView(ObjectHistoryView):
    model = Host


class HostEditView(FromSystemMixin, ObjectEditView):
    model = Host
    form_class = HostForm

    def save(self, form):
        return services.save_host(form.save(commit=False), user=self.request.user)

    def saved_url(self, obj) -> str:
        return karte_url(obj.system)


class HostDeleteView(ObjectDeleteView):
    model = Host

    def remove(self, obj) -> None:
        try:
            services.delete_host(obj, user=self.request.user)
        except RestrictedError as exc:
            # The generic view tells the user that findings still refer to the host.
            raise ProtectedError(str(exc), exc.restricted_objects) from exc

    def deleted_url(self, obj) -> str:
        return karte_url(obj.system)
