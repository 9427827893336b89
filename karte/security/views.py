"""Pages of the security posture: the coverage-gap report, and a system's protection profile."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from karte.core.generic import EXPORT_FORMATS, PER_PAGE, ScopeRequiredMixin, sheet_response
from karte.core.models import OrgUnit
from karte.core.scoping import CHANGE
from karte.core.tables import bind
from karte.security import selectors, services
from karte.security.choices import GapReason
from karte.security.filters import CoverageFilterForm
from karte.security.forms import ProtectionProfileForm
from karte.security.models import ProtectionProfile
from karte.security.tables import CoverageTable
from karte.systems.models import System


class CoverageView(ScopeRequiredMixin, TemplateView):
    """The coverage-gap report: the survey's figures for the systems the user may see (or one department
    of them), then every internet-facing system and every gap, gaps first. The database places, counts and
    pages the systems (selectors.placed_systems); only the rows shown or exported are read."""

    template_name = "security/coverage.html"

    def get(self, request, *args, **kwargs):
        user = request.user
        placed = selectors.placed_systems(selectors.systems_for_coverage(user), timezone.localdate())
        self.form = CoverageFilterForm(request.GET, user=user)
        chosen = self.form.chosen()
        department_id = chosen["department_id"] if chosen else None
        # The figures follow the department asked for; coverage and reason only narrow the list.
        in_view = selectors.filter_placed(placed, department_id=department_id)
        self.figures = selectors.coverage_figures(in_view)
        listed = selectors.report_rows(in_view) if chosen is not None else in_view.none()
        listed = selectors.in_report_order(selectors.filter_placed(listed, **(chosen or {})))
        self.table = CoverageTable(request.GET)
        export = request.GET.get("export")
        if export in EXPORT_FORMATS:
            headers = [str(c.label) for c in self.table.columns]
            cells = self.table.texts(selectors.coverage_rows(listed))
            return sheet_response(headers, cells, export, "security-coverage", sheet_title=_("Coverage gaps"))
        self.page_obj = Paginator(listed.values("pk"), PER_PAGE).get_page(request.GET.get("page"))
        shown = slice(self.page_obj.start_index() - 1, self.page_obj.end_index())
        self.page_rows = selectors.coverage_rows(listed, shown) if len(self.page_obj) else []
        self.department = (
            OrgUnit.objects.filter(pk=department_id).first() if department_id is not None else None
        )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        title = _("Security posture")
        figures = self.figures
        return {
            **super().get_context_data(**kwargs),
            "title": title,
            "breadcrumbs": [(title, None)],
            "figures": figures,
            "gaps_by_reason": [
                (reason.value, reason.label, figures["gaps_by_reason"][reason.value]) for reason in GapReason
            ],
            "department": self.department,
            "filter_form": self.form,
            "table": bind(self.table, self.page_rows),
            "page_obj": self.page_obj,
            "paginator": self.page_obj.paginator,
        }


class ProfileEditView(ScopeRequiredMixin, TemplateView):
    """A system's protection profile, edited by whoever may change the system; saving confirms it."""

    scope_test = "may_write"
    template_name = "security/profile_edit.html"

    def get_system(self) -> System:
        queryset = System.objects.restrict(self.request.user, CHANGE).select_related("unit__department")
        return get_object_or_404(queryset, pk=self.kwargs["pk"])

    def form(self, system: System, data=None) -> ProtectionProfileForm:
        profile = ProtectionProfile.objects.filter(system=system).first() or ProtectionProfile(system=system)
        return ProtectionProfileForm(data, instance=profile, user=self.request.user, system=system)

    def get(self, request, *args, **kwargs):
        self.system = self.get_system()
        return self.render_to_response(self.get_context_data(form=self.form(self.system)))

    def post(self, request, *args, **kwargs):
        self.system = self.get_system()
        form = self.form(self.system, request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        services.save_profile(self.system, form.answers(), user=request.user)
        messages.success(request, _("The protection profile was saved and confirmed."))
        return redirect(reverse("systems:system_detail", kwargs={"pk": self.system.pk}) + "#security")

    def get_context_data(self, **kwargs):
        system = self.system
        karte_url = reverse("systems:system_detail", kwargs={"pk": system.pk})
        title = _("Protection profile of %(system)s") % {"system": system}
        return {
            **super().get_context_data(**kwargs),
            "title": title,
            "system": system,
            "breadcrumbs": [
                (str(System._meta.verbose_name_plural), reverse("systems:system_list")),
                (str(system), karte_url),
                (_("Protection profile"), None),
            ],
            "cancel_url": karte_url + "#security",
        }
