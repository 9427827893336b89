from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from karte.core import audit, selectors
from karte.core.charts import bar_chart
from karte.core.choices import ImportJobStatus
from karte.core.filters import OrgUnitFilterSet
from karte.core.forms import AuditFilterForm, ImportUploadForm, OrgUnitForm, PersonForm
from karte.core.generic import (
    EXPORT_FORMATS,
    PER_PAGE,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
    ScopeRequiredMixin,
    sheet_response,
    to_pk,
)
from karte.core.importing import jobs
from karte.core.importing.registry import all_importers, get_importer
from karte.core.models import OrgUnit
from karte.core.scoping import scope_for
from karte.core.services import create_org_unit, save_person, update_org_unit
from karte.core.tables import OrgUnitTable, PersonTable, bind


class DashboardView(TemplateView):
    template_name = "core/dashboard.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        scope = scope_for(user)
        per_department = selectors.sections_per_department(user)
        chart = bar_chart(
            [name for name, _n in per_department],
            [(_("Sections"), [n for _name, n in per_department])],
            horizontal=True,
        )
        return {
            **super().get_context_data(**kwargs),
            "has_role": scope.role is not None,
            "counts": selectors.organisation_counts(user),
            "module_cards": selectors.module_cards(user) if scope.role is not None else [],
            "chart_option": chart,
            "recent_changes": selectors.recent_changes(user),
            "recent_imports": selectors.import_jobs_for(user)[:5] if scope.may_write else [],
        }


# --- Organisation -----------------------------------------------------------------------------------
class OrgUnitListView(ObjectListView):
    model = OrgUnit
    table_class = OrgUnitTable
    filterset_class = OrgUnitFilterSet
    importer_kind = "organisation"
    related = ("department", "parent")

    def may_add(self) -> bool:
        return scope_for(self.request.user).is_office


class OrgUnitDetailView(ObjectDetailView):
    model = OrgUnit
    template_name = "core/orgunit_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["children"] = self.object.children.order_by("code")
        return context


class OrgUnitHistoryView(ObjectHistoryView):
    model = OrgUnit


class OrgUnitEditView(ObjectEditView):
    model = OrgUnit
    form_class = OrgUnitForm

    def save(self, form):
        data = {k: form.cleaned_data[k] for k in ("kind", "code", "name", "parent", "valid_from", "valid_to")}
        user = self.request.user
        if self.object is None:
            return create_org_unit(user=user, **data)
        return update_org_unit(self.object, user=user, successor=form.cleaned_data["successor"], **data)

    def dispatch(self, request, *args, **kwargs):
        # Only the office reshapes the organisation.
        if not scope_for(request.user).is_office:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# --- People -----------------------------------------------------------------------------------------
class PersonListView(ScopeRequiredMixin, TemplateView):
    scope_test = "is_office"
    template_name = "core/object_list.html"

    def get_context_data(self, **kwargs):
        table = PersonTable(self.request.GET)
        page = Paginator(table.order(selectors.people_for(self.request.user)), PER_PAGE).get_page(
            self.request.GET.get("page")
        )
        return {
            **super().get_context_data(**kwargs),
            "title": _("People"),
            "table": bind(table, page.object_list),
            "page_obj": page,
            "paginator": page.paginator,
            "add_url": reverse("core:person_add"),
            "breadcrumbs": [(_("People"), None)],
        }


class PersonEditView(ScopeRequiredMixin, TemplateView):
    """The office adds a person or changes their role, unit, sign-in and password."""

    scope_test = "is_office"
    template_name = "core/object_edit.html"

    def get_person(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(selectors.people_for(self.request.user), user_id=self.kwargs["pk"]).user

    def initial(self, person) -> dict:
        if person is None:
            return {"is_active": True}
        membership = person.membership
        return {
            "username": person.username,
            "last_name": person.last_name,
            "first_name": person.first_name,
            "email": person.email,
            "is_active": person.is_active,
            "role": membership.role,
            "unit": membership.unit_id,
        }

    def get(self, request, *args, **kwargs):
        person = self.get_person()
        form = PersonForm(user=request.user, person=person, initial=self.initial(person))
        return self.render_to_response(self.context(form, person))

    def post(self, request, *args, **kwargs):
        person = self.get_person()
        form = PersonForm(request.POST, user=request.user, person=person, initial=self.initial(person))
        if not form.is_valid():
            return self.render_to_response(self.context(form, person), status=400)
        save_person(person, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("core:person_list")

    def context(self, form, person):
        title = person.username if person else _("Add a person")
        return self.get_context_data(
            form=form,
            title=title,
            cancel_url=reverse("core:person_list"),
            breadcrumbs=[(_("People"), reverse("core:person_list")), (title, None)],
        )


# --- Imports ----------------------------------------------------------------------------------------
class ImportListView(ScopeRequiredMixin, TemplateView):
    scope_test = "may_write"
    template_name = "core/import_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        page = Paginator(selectors.import_jobs_for(user), PER_PAGE).get_page(self.request.GET.get("page"))
        kinds = [i for i in all_importers() if i(user).permitted()]
        return {
            **super().get_context_data(**kwargs),
            "page_obj": page,
            "paginator": page.paginator,
            "importers": kinds,
            "breadcrumbs": [(_("Imports"), None)],
        }


class ImportNewView(ScopeRequiredMixin, TemplateView):
    scope_test = "may_write"
    template_name = "core/import_new.html"

    def dispatch(self, request, *args, **kwargs):
        importer_class = get_importer(kwargs["kind"])
        if importer_class is None:
            raise Http404
        self.importer = importer_class(request.user)
        return super().dispatch(request, *args, **kwargs)

    def check_permitted(self):
        if not self.importer.permitted():
            raise PermissionDenied

    def get(self, request, *args, **kwargs):
        self.check_permitted()
        # A module page may link here with its choice made, e.g. ?round=令和4年度調査.
        initial = {name: request.GET[name] for name in self.importer.options if name in request.GET}
        form = ImportUploadForm(importer=self.importer, initial=initial)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        self.check_permitted()
        form = ImportUploadForm(request.POST, request.FILES, importer=self.importer)
        if form.is_valid():
            try:
                job = jobs.start_import(
                    self.importer.kind, form.cleaned_data["file"], request.user, form.importer_options()
                )
            except jobs.ImportRefused as exc:
                form.add_error("file", str(exc))
            else:
                return redirect("core:import_job", pk=job.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "importer": self.importer,
            "breadcrumbs": [(_("Imports"), reverse("core:import_list")), (str(self.importer.label), None)],
        }


class ImportJobMixin(ScopeRequiredMixin):
    scope_test = "may_write"

    def get_job(self):
        return get_object_or_404(selectors.import_jobs_for(self.request.user), pk=self.kwargs["pk"])


class ImportJobView(ImportJobMixin, TemplateView):
    template_name = "core/import_job.html"

    def get(self, request, *args, **kwargs):
        self.job = self.get_job()
        if request.headers.get("HX-Request"):
            if self.job.status in (
                ImportJobStatus.PREVIEWING,
                ImportJobStatus.APPLYING,
                ImportJobStatus.PENDING,
            ):
                return render(request, "core/import_progress.html", {"job": self.job})
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        job = self.job
        importer_class = get_importer(job.kind)
        return {
            **super().get_context_data(**kwargs),
            "job": job,
            "importer_label": importer_class.label if importer_class else job.kind,
            "counts": job.preview.get("counts", {}),
            "sample": job.preview.get("sample", []),
            "errors": job.preview.get("errors", [])[:1000],
            "more_errors": max(0, len(job.preview.get("errors", [])) - 1000),
            "in_progress": job.status
            in (ImportJobStatus.PENDING, ImportJobStatus.PREVIEWING, ImportJobStatus.APPLYING),
            "can_apply": job.status == ImportJobStatus.PREVIEWED
            and not job.preview.get("counts", {}).get("errors"),
            "breadcrumbs": [(_("Imports"), reverse("core:import_list")), (job.original_name, None)],
        }


class ImportApplyView(ImportJobMixin, TemplateView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        job = self.get_job()
        try:
            jobs.request_apply(job)
        except jobs.ImportRefused as exc:
            messages.error(request, str(exc))
        return redirect("core:import_job", pk=job.pk)


class ImportErrorsView(ImportJobMixin, TemplateView):
    def get(self, request, *args, **kwargs):
        job = self.get_job()
        rows = ([e["row"], e["column"], e["message"]] for e in job.preview.get("errors", []))
        return sheet_response([_("Row"), _("Column"), _("Error")], rows, "csv", f"import-{job.pk}-errors")


# --- Audit trail ------------------------------------------------------------------------------------
class AuditTrailView(ScopeRequiredMixin, TemplateView):
    scope_test = "reads_audit_trail"
    template_name = "core/audit_trail.html"

    def get(self, request, *args, **kwargs):
        form = AuditFilterForm(request.GET or None)
        filters = audit.TrailFilter(**form.cleaned_data) if form.is_valid() else audit.TrailFilter()
        export = request.GET.get("export")
        if export in EXPORT_FORMATS:
            return self.export(audit.audit_trail(request.user, filters, limit=None), export)
        # A page beyond the last shows nothing; one beyond any trail would only make the query huge.
        page = min(max(1, to_pk(request.GET.get("page")) or 1), 10_000)
        entries = audit.audit_trail(request.user, filters, limit=page * PER_PAGE + 1)
        context = self.get_context_data(
            form=form,
            entries=entries[(page - 1) * PER_PAGE : page * PER_PAGE],
            page=page,
            has_next=len(entries) > page * PER_PAGE,
            breadcrumbs=[(_("Audit trail"), None)],
        )
        return self.render_to_response(context)

    def export(self, entries, fmt):
        headers = [_("Date and time"), _("User"), _("Operation"), _("Record type"), _("Record"), _("Changes")]
        rows = (
            [
                e.when.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
                e.user,
                e.action_label,
                e.model_label,
                e.record,
                "\n".join(f"{c.field}: {c.old} → {c.new}" for c in e.changes),
            ]
            for e in entries
        )
        return sheet_response(headers, rows, fmt, "audit-trail", sheet_title="audit")


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)
