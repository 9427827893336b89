"""Pages of storage-device disposal: the register, one disposal with its certificate, the certificates
still missing, and the certificate download."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from karte.core.generic import (
    PER_PAGE,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
    ScopeRequiredMixin,
)
from karte.core.scoping import VIEW
from karte.core.tables import bind
from karte.core.uploads import attachment_response
from karte.disposals import selectors, services
from karte.disposals.filters import StorageDisposalFilterSet
from karte.disposals.forms import StorageDisposalForm
from karte.disposals.models import StorageDisposal
from karte.disposals.tables import DepartmentMissingTable, MissingCertificateTable, StorageDisposalTable
from karte.systems.models import System


class StorageDisposalListView(ObjectListView):
    model = StorageDisposal
    table_class = StorageDisposalTable
    filterset_class = StorageDisposalFilterSet
    importer_kind = "disposals"
    related = ("unit", "unit__department")
    template_name = "disposals/storagedisposal_list.html"


class StorageDisposalDetailView(ObjectDetailView):
    model = StorageDisposal
    template_name = "disposals/storagedisposal_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("unit", "unit__department", "system")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        disposal, user = self.object, self.request.user
        system = disposal.system
        context.update(
            status=disposal.status,
            days_since_disposal=selectors.days_since_disposal(disposal),
            overdue=selectors.is_overdue(disposal),
            overdue_days=selectors.OVERDUE_DAYS,
            # The page itself came through restrict(): whoever reads it may download the certificate.
            certificate_url=reverse("disposals:certificate_download", kwargs={"pk": disposal.pk})
            if disposal.certificate
            else None,
            system_url=system.get_absolute_url()
            if system is not None and System.objects.restrict(user, VIEW).filter(pk=system.pk).exists()
            else None,
        )
        return context


class StorageDisposalHistoryView(ObjectHistoryView):
    model = StorageDisposal


class StorageDisposalEditView(ObjectEditView):
    """Add or edit a disposal; the form carries the certificate file."""

    model = StorageDisposal
    form_class = StorageDisposalForm

    def save(self, form):
        return services.save_disposal(
            form.save(commit=False), user=self.request.user, certificate=form.cleaned_data.get("certificate")
        )


class StorageDisposalDeleteView(ObjectDeleteView):
    model = StorageDisposal

    def remove(self, obj) -> None:
        services.delete_disposal(obj, user=self.request.user)


class MissingCertificatesView(ScopeRequiredMixin, TemplateView):
    """Disposals done without a certificate, oldest first, and the departments that owe them."""

    template_name = "disposals/missing_certificates.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        title = _("Disposals missing a certificate")
        page = Paginator(selectors.missing_certificates(user), PER_PAGE).get_page(
            self.request.GET.get("page")
        )
        departments = selectors.missing_by_department(user)
        return {
            **super().get_context_data(**kwargs),
            "title": title,
            "table": bind(MissingCertificateTable(self.request.GET), page.object_list),
            "department_table": bind(DepartmentMissingTable(self.request.GET), departments),
            "missing_total": page.paginator.count,
            "overdue_days": selectors.OVERDUE_DAYS,
            "page_obj": page,
            "paginator": page.paginator,
            "breadcrumbs": [
                (str(StorageDisposal._meta.verbose_name_plural), reverse("disposals:storagedisposal_list")),
                (title, None),
            ],
        }


class CertificateDownloadView(ScopeRequiredMixin, View):
    """The disposal certificate as a download, for whoever may see the disposal; 404 for anyone else."""

    def get(self, request, *args, **kwargs):
        disposal = get_object_or_404(StorageDisposal.objects.restrict(request.user, VIEW), pk=kwargs["pk"])
        return attachment_response(disposal.certificate, disposal.certificate_download_name)
