"""Pages of the system karte: the list, one karte per system, contracts and costs, vendors, and the
portfolio views (lock-in, renewals, the common platform, figures by department and fiscal year)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Min, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from karte.core.charts import bar_chart
from karte.core.fiscal import format_fiscal_year
from karte.core.generic import (
    PER_PAGE,
    ChildRecordDeleteView,
    ChildRecordEditView,
    ChildRecordMixin,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
    ScopeRequiredMixin,
)
from karte.core.scoping import CHANGE, VIEW, scope_for
from karte.core.selectors import module_karte_sections
from karte.core.tables import bind
from karte.systems import selectors, services
from karte.systems.choices import Hosting
from karte.systems.filters import (
    SystemFilterSet,
    VendorFilterSet,
    WorkingGroupFilterSet,
    current_fiscal_year,
    settings_for,
)
from karte.systems.forms import (
    ContractForm,
    CostForm,
    FiscalYearForm,
    PortfolioSettingsForm,
    SystemForm,
    VendorForm,
    VendorMergeForm,
    WorkingGroupForm,
)
from karte.systems.models import Contract, Cost, System, Vendor, WorkingGroup
from karte.systems.tables import (
    CommonPlatformTable,
    ContractTable,
    CostTable,
    DepartmentTable,
    FiscalYearCostTable,
    LockInTable,
    RenewalTable,
    SystemTable,
    VendorContractTable,
    VendorTable,
    VendorYearTable,
    WorkingGroupSystemTable,
    WorkingGroupTable,
    attach_lock_in,
)

RENEWAL_YEARS_AHEAD = 5


def budget_settlement_chart(rows: list[dict], label_key: str) -> dict:
    """Bars of budget against settlement (thousand yen) for rows with `budget` and `settlement`."""
    return bar_chart(
        [row[label_key] for row in rows],
        [
            (_("Budget (thousand yen)"), [row["budget"] for row in rows]),
            (_("Settlement (thousand yen)"), [row["settlement"] for row in rows]),
        ],
    )


class FiscalYearMixin:
    """Pages read at the fiscal year of ?fy= (2022, R4, 令和4年度), this fiscal year by default."""

    def fiscal_year(self) -> int:
        form = FiscalYearForm(self.request.GET)
        if form.is_valid() and form.cleaned_data["fy"]:
            return form.cleaned_data["fy"]
        return current_fiscal_year()

    def fiscal_year_form(self, fiscal_year: int) -> FiscalYearForm:
        return FiscalYearForm(initial={"fy": fiscal_year})


def systems_breadcrumb() -> tuple[str, str]:
    return (str(System._meta.verbose_name_plural), reverse("systems:system_list"))


# --- Systems ----------------------------------------------------------------------------------------
class SystemListView(ObjectListView):
    model = System
    table_class = SystemTable
    filterset_class = SystemFilterSet
    importer_kind = "systems"
    related = ("unit", "unit__department")
    template_name = "systems/system_list.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "fiscal_year": self.table.fiscal_year,
            "is_office": scope_for(self.request.user).is_office,
        }


class SystemDetailView(ObjectDetailView):
    """The karte: everything the office knows about one system, on one page."""

    model = System
    template_name = "systems/system_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("unit", "unit__department", "working_group")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        system, user = self.object, self.request.user
        fiscal_year = current_fiscal_year()
        settings = services.portfolio_settings(system.body_id)
        lock = selectors.lock_in_at(System.objects.filter(pk=system.pk), fiscal_year).get(system.pk)
        sole, total = selectors.sole_source_shares([system.pk]).get(system.pk, (0, 0))
        may_change = context["edit_url"] is not None
        contracts = (
            Contract.objects.restrict(user, VIEW)
            .filter(system=system)
            .select_related("vendor")
            .order_by("fy_from", "kind", "pk")
        )
        costs = list(Cost.objects.restrict(user, VIEW).filter(system=system).order_by("fiscal_year"))
        cost_rows = [
            {
                "year": format_fiscal_year(c.fiscal_year),
                "budget": c.budget_thousand_yen,
                "settlement": c.settlement_thousand_yen,
            }
            for c in costs
        ]
        context.update(
            fiscal_year=fiscal_year,
            lock_in=lock,
            lock_in_threshold=settings.lock_in_threshold_years,
            locked_in=lock is not None and lock.years >= settings.lock_in_threshold_years,
            sole_source=sole,
            contract_total=total,
            sole_source_percent=round(100 * sole / total) if total else None,
            on_common_platform=system.hosting == Hosting.COMMON_PLATFORM,
            common_platform_end=settings.common_platform_end,
            contract_table=bind(ContractTable(self.request.GET, editable=may_change), contracts),
            cost_table=bind(CostTable(self.request.GET, editable=may_change), costs),
            cost_chart=budget_settlement_chart(cost_rows, "year") if costs else None,
            may_change=may_change,
            contract_add_url=f"{reverse('systems:contract_add')}?system={system.pk}" if may_change else None,
            cost_add_url=f"{reverse('systems:cost_add')}?system={system.pk}" if may_change else None,
            karte_xlsx_url=reverse("systems:system_karte_xlsx", kwargs={"pk": system.pk}),
            karte_pdf_url=reverse("systems:system_karte_pdf", kwargs={"pk": system.pk}),
            karte_sections=module_karte_sections(user, system),
        )
        return context


class SystemHistoryView(ObjectHistoryView):
    model = System


class SystemEditView(ObjectEditView):
    model = System
    form_class = SystemForm


class SystemDeleteView(ObjectDeleteView):
    model = System


# --- Contracts and costs: read and changed from their system's karte --------------------------------
class SystemChildMixin(ChildRecordMixin):
    """Contracts and costs are read and changed from their system's karte."""

    parent_field = "system"
    parent_list_url = "systems:system_list"


class ContractDetailView(SystemChildMixin, ObjectDetailView):
    model = Contract
    template_name = "systems/contract_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("vendor")


class ContractHistoryView(SystemChildMixin, ObjectHistoryView):
    model = Contract


class ContractEditView(SystemChildMixin, ChildRecordEditView):
    model = Contract
    form_class = ContractForm

    def save(self, form):
        contract = form.save(commit=False)
        user = self.request.user
        contract.vendor = services.find_or_create_vendor(
            contract.system.body_id, form.cleaned_data["vendor_name"], user=user
        )
        return services.save_contract(contract, user=user)


class ContractDeleteView(SystemChildMixin, ChildRecordDeleteView):
    model = Contract

    def remove(self, record) -> None:
        # Through the service, so that the system's maintenance runs (and its lock-in) stay right.
        services.delete_contract(record, user=self.request.user)


class CostDetailView(SystemChildMixin, ObjectDetailView):
    model = Cost
    template_name = "systems/cost_detail.html"


class CostHistoryView(SystemChildMixin, ObjectHistoryView):
    model = Cost


class CostEditView(SystemChildMixin, ChildRecordEditView):
    model = Cost
    form_class = CostForm


class CostDeleteView(SystemChildMixin, ChildRecordDeleteView):
    model = Cost


# --- Vendors ----------------------------------------------------------------------------------------
class VendorListView(ObjectListView):
    model = Vendor
    table_class = VendorTable
    filterset_class = VendorFilterSet

    def get_queryset(self):
        # Counts of what the user may see: a department's editor does not learn of others' systems.
        visible = Q(contracts__in=Contract.objects.restrict(self.request.user, VIEW))
        return (
            super()
            .get_queryset()
            .annotate(
                system_count=Count("contracts__system", filter=visible, distinct=True),
                contract_count=Count("contracts", filter=visible, distinct=True),
                first_fy=Min("contracts__fy_from", filter=visible),
            )
        )


class VendorDetailView(ObjectDetailView):
    """Every system and fiscal year of one company, as far as the user may see."""

    model = Vendor
    template_name = "systems/vendor_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contracts = list(
            Contract.objects.restrict(self.request.user, VIEW)
            .filter(vendor=self.object)
            .select_related("system")
            .order_by("system__code", "fy_from", "pk")
        )
        year_table = VendorYearTable(self.request.GET, contracts=contracts, until=current_fiscal_year())
        context.update(
            year_table=bind(year_table, year_table.grid),
            contract_table=bind(VendorContractTable(self.request.GET), contracts),
            system_count=len(year_table.grid),
        )
        if context["edit_url"] is not None:
            # Whoever may rename the vendor may also merge a duplicate record of the company into it.
            merge_form = VendorMergeForm(user=self.request.user, keep=self.object)
            context.update(
                merge_form=merge_form,
                merge_possible=merge_form.fields["duplicate"].queryset.exists(),
                merge_url=reverse("systems:vendor_merge", kwargs={"pk": self.object.pk}),
            )
        return context


class VendorHistoryView(ObjectHistoryView):
    model = Vendor


class VendorEditView(ObjectEditView):
    """The office renames a vendor; its identity (and so its contracts and lock-in) stays."""

    model = Vendor
    form_class = VendorForm
    scope_test = "is_office"

    def save(self, form):
        return services.rename_vendor(self.object, form.cleaned_data["name"], user=self.request.user)


class VendorMergeView(ScopeRequiredMixin, View):
    """POST only: the office merges a duplicate record of the same company into this vendor."""

    scope_test = "is_office"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        keep = get_object_or_404(Vendor.objects.restrict(request.user, CHANGE), pk=kwargs["pk"])
        form = VendorMergeForm(request.POST, user=request.user, keep=keep)
        if form.is_valid():
            duplicate = form.cleaned_data["duplicate"]
            name = duplicate.name
            services.merge_vendors(keep, duplicate, user=request.user)
            messages.success(
                request,
                _("“%(duplicate)s” was merged into “%(vendor)s”.") % {"duplicate": name, "vendor": keep.name},
            )
        else:
            messages.error(request, " ".join(form.errors.get("duplicate", [])))
        return redirect(keep.get_absolute_url())


# --- Working groups ---------------------------------------------------------------------------------
class WorkingGroupListView(ObjectListView):
    model = WorkingGroup
    table_class = WorkingGroupTable
    filterset_class = WorkingGroupFilterSet
    template_name = "systems/workinggroup_list.html"

    def get_queryset(self):
        # Counts of what the user may see: a department's editor does not learn of others' systems.
        visible = Q(systems__in=System.objects.restrict(self.request.user, VIEW))
        return super().get_queryset().annotate(system_count=Count("systems", filter=visible))

    def may_add(self) -> bool:
        return scope_for(self.request.user).is_office

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "is_office": scope_for(self.request.user).is_office}


class WorkingGroupDetailView(ObjectDetailView):
    """A working group: its member units and migration date, and its systems as far as the user may see."""

    model = WorkingGroup
    template_name = "systems/workinggroup_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        systems = list(selectors.working_group_systems(self.request.user, self.object))
        context.update(
            member_units=list(self.object.member_units.order_by("code")),
            system_count=len(systems),
            system_table=bind(WorkingGroupSystemTable(self.request.GET), systems),
        )
        return context


class WorkingGroupHistoryView(ObjectHistoryView):
    model = WorkingGroup


class WorkingGroupEditView(ObjectEditView):
    """Only the office forms and changes working groups, for its whole body."""

    model = WorkingGroup
    form_class = WorkingGroupForm
    scope_test = "is_office"

    def save(self, form):
        group = form.save(commit=False)
        if group.body_id is None:
            group.body_id = form.group_body_id()
        return services.save_working_group(group, form.cleaned_data["member_units"], user=self.request.user)


class WorkingGroupDeleteView(ObjectDeleteView):
    model = WorkingGroup
    scope_test = "is_office"

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        services.delete_working_group(self.object, user=request.user)
        messages.success(request, _("Deleted."))
        return redirect(self.model_url("list"))


# --- Portfolio views --------------------------------------------------------------------------------
class PortfolioPage(ScopeRequiredMixin, TemplateView):
    """A page about the user's whole portfolio (every member may read what they may see of it)."""

    title = ""

    def page_context(self, **extra) -> dict:
        return {
            "title": self.title,
            "breadcrumbs": [systems_breadcrumb(), (self.title, None)],
            "is_office": scope_for(self.request.user).is_office,
            **extra,
        }


class LockInView(FiscalYearMixin, PortfolioPage):
    """Systems one vendor has maintained for the threshold years or more at a fiscal year, longest first."""

    template_name = "systems/lock_in.html"

    def get_context_data(self, **kwargs):
        self.title = _("Vendor lock-in")
        user = self.request.user
        fiscal_year = self.fiscal_year()
        threshold = settings_for(user).lock_in_threshold_years
        held = selectors.locked_in_systems(selectors.systems_for(user), fiscal_year, threshold)
        # Paged in SQL: a prefecture with its municipalities holds well over a thousand such systems.
        page = Paginator(held, PER_PAGE).get_page(self.request.GET.get("page"))
        rows = attach_lock_in(list(page.object_list), fiscal_year)
        shares = selectors.sole_source_shares([s.pk for s in rows])
        for system in rows:
            system.sole_share = shares.get(system.pk, (0, 0))
        return {
            **super().get_context_data(**kwargs),
            **self.page_context(
                fiscal_year=fiscal_year,
                threshold=threshold,
                count=page.paginator.count,
                table=bind(LockInTable(self.request.GET), rows),
                form=self.fiscal_year_form(fiscal_year),
                page_obj=page,
                paginator=page.paginator,
            ),
        }


class RenewalsView(PortfolioPage):
    """The systems renewing in each of this and the next five fiscal years."""

    template_name = "systems/renewals.html"

    def get_context_data(self, **kwargs):
        self.title = _("Renewal timeline")
        first = current_fiscal_year()
        timeline = selectors.renewal_timeline(
            selectors.systems_for(self.request.user), first, first + RENEWAL_YEARS_AHEAD
        )
        attach_lock_in([s for systems in timeline.values() for s in systems], first)
        years = [
            {
                "fiscal_year": fy,
                "label": format_fiscal_year(fy),
                "count": len(systems),
                "table": bind(RenewalTable(self.request.GET), systems),
            }
            for fy, systems in timeline.items()
        ]
        chart = bar_chart([y["label"] for y in years], [(_("Systems"), [y["count"] for y in years])])
        return {
            **super().get_context_data(**kwargs),
            **self.page_context(years=years, chart_option=chart),
        }


class CommonPlatformView(PortfolioPage):
    """The systems on the common platform, where each must move before the platform's term ends."""

    template_name = "systems/common_platform.html"

    def get_context_data(self, **kwargs):
        self.title = _("Common platform")
        user = self.request.user
        systems = list(selectors.common_platform_systems(selectors.systems_for(user)))
        end = settings_for(user).common_platform_end
        undecided = [s for s in systems if not s.migration_destination]
        return {
            **super().get_context_data(**kwargs),
            **self.page_context(
                platform_end=end,
                days_left=(end - timezone.localdate()).days,
                count=len(systems),
                undecided=undecided,
                table=bind(CommonPlatformTable(self.request.GET), systems),
            ),
        }


class PortfolioView(FiscalYearMixin, PortfolioPage):
    """Counts and costs by department and by fiscal year."""

    template_name = "systems/portfolio.html"

    def get_context_data(self, **kwargs):
        self.title = _("Portfolio")
        user = self.request.user
        fiscal_year = self.fiscal_year()
        threshold = settings_for(user).lock_in_threshold_years
        systems = selectors.systems_for(user)
        departments = selectors.by_department(systems, fiscal_year)
        for row in departments:
            row["department"] = row["department"] or _("No department")
        years = selectors.costs_by_fy(systems)
        for row in years:
            row["label"] = format_fiscal_year(row["fiscal_year"])
        systems_chart = bar_chart(
            [r["department"] for r in departments],
            [(_("Systems"), [r["systems"] for r in departments])],
            horizontal=True,
        )
        return {
            **super().get_context_data(**kwargs),
            **self.page_context(
                fiscal_year=fiscal_year,
                form=self.fiscal_year_form(fiscal_year),
                figures=selectors.portfolio_figures(user, fiscal_year, threshold),
                department_table=bind(DepartmentTable(self.request.GET), departments),
                year_table=bind(FiscalYearCostTable(self.request.GET), years),
                systems_chart=systems_chart,
                department_cost_chart=budget_settlement_chart(departments, "department"),
                year_cost_chart=budget_settlement_chart(years, "label"),
            ),
        }


class SettingsView(ScopeRequiredMixin, TemplateView):
    """The office's portfolio settings: the lock-in threshold and the common platform's end of term."""

    scope_test = "is_office"
    template_name = "core/object_edit.html"

    def get_settings(self):
        settings = settings_for(self.request.user)
        if settings.pk is None:
            raise Http404
        return settings

    def get(self, request, *args, **kwargs):
        form = PortfolioSettingsForm(instance=self.get_settings())
        return self.render_to_response(self.context(form))

    def post(self, request, *args, **kwargs):
        form = PortfolioSettingsForm(request.POST, instance=self.get_settings())
        if not form.is_valid():
            return self.render_to_response(self.context(form), status=400)
        form.save()
        messages.success(request, _("Saved."))
        return redirect("systems:settings")

    def context(self, form) -> dict:
        title = _("Portfolio settings")
        return self.get_context_data(
            form=form,
            title=title,
            cancel_url=reverse("systems:system_list"),
            breadcrumbs=[systems_breadcrumb(), (title, None)],
        )
