"""Generic views every module configures instead of writing its own (after NetBox's generic views).

Each view reaches records only through `Model.objects.restrict(user, action)`, so a record outside the
user's scope is a 404 whatever the URL, and the role-matrix test (tests/test_role_matrix.py) covers a
new model as soon as its URLs use these views.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models.deletion import ProtectedError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from karte.core import audit
from karte.core.exporting import write_csv, write_xlsx
from karte.core.importing.registry import get_importer
from karte.core.scoping import CHANGE, VIEW, scope_for
from karte.core.tables import bind

PER_PAGE = 50
EXPORT_FORMATS = {"xlsx", "csv"}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_response(headers, rows, fmt: str, name: str, *, sheet_title: str = "data") -> HttpResponse:
    """Return a download of rows as .xlsx or .csv (UTF-8 with BOM), formula-safe either way."""
    if fmt == "xlsx":
        response = HttpResponse(
            write_xlsx(headers, rows, sheet_title=sheet_title[:31]), content_type=XLSX_MIME
        )
    else:
        response = HttpResponse(write_csv(headers, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


BIGGEST_PK = 2**63 - 1


def to_pk(raw: str | None) -> int | None:
    """Return the id a query string or form value names, None for anything else.

    isdecimal, not isdigit: "²" is a digit that int() refuses; and nothing beyond a 64-bit id, which the
    database would refuse with an error rather than find nothing.
    """
    raw = (raw or "").strip()
    if not raw.isdecimal():
        return None
    value = int(raw)
    return value if value <= BIGGEST_PK else None


def requested_record(request, model, param: str, action: str = CHANGE):
    """The record ?<param>=ID names (a new record's parent, a prefill), if the user may `action` it."""
    pk = to_pk(request.GET.get(param))
    return model.objects.restrict(request.user, action).filter(pk=pk).first() if pk is not None else None


class ScopeRequiredMixin:
    """For views that are not about one model: `scope_test` names a Scope property the user needs."""

    scope_test: str | None = None

    def dispatch(self, request, *args, **kwargs):
        scope = scope_for(request.user)
        if scope.role is None or (self.scope_test and not getattr(scope, self.scope_test)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ModelViewMixin(ScopeRequiredMixin):
    model = None
    action = VIEW

    def get_queryset(self):
        return self.model.objects.restrict(self.request.user, self.action)

    def model_url(self, suffix: str, **kwargs) -> str:
        meta = self.model._meta
        return reverse(f"{meta.app_label}:{meta.model_name}_{suffix}", kwargs=kwargs or None)

    def optional_url(self, suffix: str, **kwargs) -> str | None:
        """Return the URL of a view the module may not have (not every record can be deleted)."""
        try:
            return self.model_url(suffix, **kwargs)
        except NoReverseMatch:
            return None

    def base_breadcrumbs(self) -> list[tuple[str, str | None]]:
        return [(str(self.model._meta.verbose_name_plural), self.model_url("list"))]

    def may_change(self) -> bool:
        return scope_for(self.request.user).may_write


class ObjectListView(ModelViewMixin, TemplateView):
    """A sortable, filterable, paginated table of the records the user may see, with export."""

    table_class = None
    filterset_class = None
    template_name = "core/object_list.html"
    # The kind of the module's importer: exports then use its columns, so that a sheet round-trips.
    importer_kind = None
    # Relations the table shows, fetched with the rows rather than one query per row.
    related = ()

    def get(self, request, *args, **kwargs):
        queryset = self.get_queryset().select_related(*self.related)
        self.filterset = (
            self.filterset_class(request.GET, queryset=queryset, request=request)
            if (self.filterset_class)
            else None
        )
        if self.filterset is not None:
            queryset = self.filterset.qs if self.filterset.is_valid() else queryset.none()
        self.table = self.table_class(request.GET)
        queryset = self.table.order(queryset)
        export = request.GET.get("export")
        if export in EXPORT_FORMATS:
            return self.export(queryset, export)
        self.page_obj = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        meta = self.model._meta
        importer = self.importer()
        return {
            **super().get_context_data(**kwargs),
            "title": meta.verbose_name_plural,
            "table": bind(self.table, self.page_obj.object_list),
            "page_obj": self.page_obj,
            "paginator": self.page_obj.paginator,
            "filter_form": self.filterset.form if self.filterset is not None else None,
            "exportable": True,
            "add_url": self.optional_url("add") if self.may_add() else None,
            "import_url": reverse("core:import_new", kwargs={"kind": importer.kind})
            if importer is not None and importer.permitted()
            else None,
            "breadcrumbs": [(str(meta.verbose_name_plural), None)],
        }

    def may_add(self) -> bool:
        return self.may_change()

    def importer(self):
        importer_class = get_importer(self.importer_kind or "")
        return importer_class(self.request.user) if importer_class else None

    def export(self, queryset, fmt: str) -> HttpResponse:
        importer = self.importer()
        if importer is not None:
            headers = [c.label for c in importer.columns]
            rows = importer.export_rows(queryset)
        else:
            headers = [str(c.label) for c in self.table.columns]
            rows = ([cell.text for cell in row] for row in self.table.rows(queryset.iterator()))
        name = importer.export_filename if importer is not None else self.model._meta.model_name
        return sheet_response(headers, rows, fmt, name, sheet_title=str(self.model._meta.verbose_name_plural))


class ObjectDetailView(ModelViewMixin, TemplateView):
    template_name = "core/object_detail.html"
    tab = "detail"

    def get(self, request, *args, **kwargs):
        self.object = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def tabs(self) -> list[tuple[str, str, bool]]:
        return [
            (_("Details"), self.model_url("detail", pk=self.object.pk), self.tab == "detail"),
            (_("History"), self.model_url("history", pk=self.object.pk), self.tab == "history"),
        ]

    def get_context_data(self, **kwargs):
        can_change = self.model.objects.restrict(self.request.user, CHANGE).filter(pk=self.object.pk).exists()
        return {
            **super().get_context_data(**kwargs),
            "object": self.object,
            "title": str(self.object),
            "tabs": self.tabs(),
            "edit_url": self.optional_url("edit", pk=self.object.pk) if can_change else None,
            "delete_url": self.optional_url("delete", pk=self.object.pk) if can_change else None,
            "breadcrumbs": [*self.base_breadcrumbs(), (str(self.object), None)],
        }


class ObjectHistoryView(ObjectDetailView):
    """The history tab: every change to the record, who made it, and which fields went from what to what."""

    template_name = "core/object_history.html"
    tab = "history"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "entries": audit.record_history(self.object)}


class ObjectEditView(ModelViewMixin, TemplateView):
    """Create (no pk) or edit a record the user may change; the form limits choices to the user's scope."""

    action = CHANGE
    form_class = None
    # Exceptions save() may raise for a change the rules refuse.
    refused_by: tuple[type[Exception], ...] = ()
    template_name = "core/object_edit.html"

    def dispatch(self, request, *args, **kwargs):
        if not scope_for(request.user).may_write:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        pk = self.kwargs.get("pk")
        return get_object_or_404(self.get_queryset(), pk=pk) if pk is not None else None

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self.form_class(instance=self.object, user=request.user)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self.form_class(request.POST, request.FILES, instance=self.object, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            with transaction.atomic():
                obj = self.save(form)
        except self.refused_by as refused:
            # A business rule the service checks (str() is the user's message): nothing was saved.
            form.add_error(None, str(refused))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, _("Saved."))
        return redirect(self.saved_url(obj))

    def saved_url(self, obj) -> str:
        """Return where the user goes after saving: the record's page."""
        return self.model_url("detail", pk=obj.pk)

    def save(self, form):
        """Persist the form; modules with business rules override this to call their service."""
        return form.save()

    def get_context_data(self, **kwargs):
        title = (
            str(self.object) if self.object else _("Add %(model)s") % {"model": self.model._meta.verbose_name}
        )
        crumbs = self.base_breadcrumbs()
        if self.object:
            crumbs.append((str(self.object), self.model_url("detail", pk=self.object.pk)))
        crumbs.append((_("Edit") if self.object else _("Add"), None))
        cancel = self.model_url("detail", pk=self.object.pk) if self.object else self.model_url("list")
        return {
            **kwargs,
            "view": self,
            "object": self.object,
            "title": title,
            "breadcrumbs": crumbs,
            "cancel_url": cancel,
        }


class BodyOwnedEditView(ObjectEditView):
    """Create or edit a record the office keeps for its whole body (a question set, a form template)."""

    scope_test = "is_office"

    def save(self, form):
        record = form.save(commit=False)
        if record.body_id is None:
            # The office's own body; a superuser chose one in the form.
            record.body_id = scope_for(self.request.user).body_id
        record._history_user = self.request.user
        record.save()
        return record


class ObjectDeleteView(ModelViewMixin, TemplateView):
    action = CHANGE
    template_name = "core/object_delete.html"

    def dispatch(self, request, *args, **kwargs):
        if not scope_for(request.user).may_write:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render_to_response(self.get_context_data())

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            with transaction.atomic():
                self.remove(self.object)
        except ProtectedError:
            messages.error(
                request, _("This record is still referred to by other records and cannot be deleted.")
            )
            return redirect(self.model_url("detail", pk=self.object.pk))
        messages.success(request, _("Deleted."))
        return redirect(self.deleted_url(self.object))

    def remove(self, obj) -> None:
        """Delete the record; modules with business rules override this to call their service."""
        obj.delete()

    def deleted_url(self, obj) -> str:
        """Return where the user goes after deleting: the list."""
        return self.model_url("list")

    def get_context_data(self, **kwargs):
        return {
            **kwargs,
            "object": self.object,
            "title": _("Delete %(record)s") % {"record": self.object},
            "cancel_url": self.model_url("detail", pk=self.object.pk),
            "breadcrumbs": [
                *self.base_breadcrumbs(),
                (str(self.object), self.model_url("detail", pk=self.object.pk)),
                (_("Delete"), None),
            ],
        }


class ChildRecordMixin:
    """For records read and changed from their parent's page (a system's contracts, a support case's
    hearings): breadcrumbs, 'cancel' and the page after saving or deleting lead back to the parent.

    `parent_field` names the foreign key, `parent_list_url` the URL name of the parents' list and
    `parent_anchor` the section of the parent's page to return to. Adding takes the parent from
    ?<parent_field>=ID, and only a parent the user may change.
    """

    parent_field = ""
    parent_list_url = ""
    parent_anchor = ""

    def get_queryset(self):
        return super().get_queryset().select_related(self.parent_field)

    def model_url(self, suffix: str, **kwargs) -> str:
        if suffix == "list":
            return reverse(self.parent_list_url)
        return super().model_url(suffix, **kwargs)

    def parent(self):
        record = getattr(self, "object", None)
        if record is not None:
            return getattr(record, self.parent_field)
        if not hasattr(self, "_requested_parent"):
            parent_model = self.model._meta.get_field(self.parent_field).related_model
            self._requested_parent = requested_record(self.request, parent_model, self.parent_field)
        return self._requested_parent

    def parent_url(self, parent) -> str:
        return parent.get_absolute_url() + (f"#{self.parent_anchor}" if self.parent_anchor else "")

    def base_breadcrumbs(self) -> list[tuple[str, str | None]]:
        parent_model = self.model._meta.get_field(self.parent_field).related_model
        crumbs = [(str(parent_model._meta.verbose_name_plural), reverse(self.parent_list_url))]
        parent = self.parent()
        if parent is not None:
            crumbs.append((str(parent), parent.get_absolute_url()))
        return crumbs


class ChildRecordEditView(ChildRecordMixin, ObjectEditView):
    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        parent = self.parent()
        initial = {self.parent_field: parent.pk} if self.object is None and parent is not None else {}
        form = self.form_class(instance=self.object, user=request.user, initial=initial)
        return self.render_to_response(self.get_context_data(form=form))

    def saved_url(self, obj) -> str:
        return self.parent_url(getattr(obj, self.parent_field))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        parent = self.parent()
        if parent is not None:
            context["cancel_url"] = parent.get_absolute_url()
        return context


class ChildRecordDeleteView(ChildRecordMixin, ObjectDeleteView):
    def deleted_url(self, obj) -> str:
        return self.parent_url(getattr(obj, self.parent_field))
