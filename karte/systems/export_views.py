"""Downloads of the system karte: one system's or every visible system's, as xlsx or PDF."""

from __future__ import annotations

import re
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views import View

from karte.core.fiscal import FiscalParseError, fiscal_year_of, parse_fiscal_year
from karte.core.generic import ScopeRequiredMixin
from karte.core.scoping import VIEW
from karte.systems.exports import (
    PDF_MIME,
    XLSX_MIME,
    TooManyKartes,
    kartes_pdf,
    kartes_workbook,
)
from karte.systems.models import System
from karte.systems.selectors import systems_for

_NOT_ASCII_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    """Return a download response: an ASCII filename for old clients, the exact one as RFC 5987 filename*."""
    response = HttpResponse(content, content_type=content_type)
    fallback = _NOT_ASCII_FILENAME.sub("_", filename).strip("_") or "karte"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
    return response


class KarteExportView(ScopeRequiredMixin, View):
    http_method_names = ["get"]

    def fiscal_year(self) -> int:
        """Return the fiscal year of ?fy= (2025, 令和7年度, R7); this fiscal year if absent or unreadable."""
        try:
            fy = parse_fiscal_year(self.request.GET.get("fy", ""))
        except FiscalParseError:
            fy = None
        return fy if fy is not None else fiscal_year_of(timezone.localdate())


class SystemKarteView(KarteExportView):
    """One system's karte; a system the user may not see is a 404."""

    def system(self) -> System:
        return get_object_or_404(System.objects.restrict(self.request.user, VIEW), pk=self.kwargs["pk"])


class SystemKarteXlsxView(SystemKarteView):
    def get(self, request, *args, **kwargs):
        system = self.system()
        content = kartes_workbook(System.objects.filter(pk=system.pk), fiscal_year=self.fiscal_year())
        return attachment(content, XLSX_MIME, f"karte-{system.code}.xlsx")


class SystemKartePdfView(SystemKarteView):
    def get(self, request, *args, **kwargs):
        system = self.system()
        content = kartes_pdf(System.objects.filter(pk=system.pk), fiscal_year=self.fiscal_year())
        return attachment(content, PDF_MIME, f"karte-{system.code}.pdf")


class AllKartesView(KarteExportView):
    """The kartes of every system the user may see, narrowed by the system list's filters."""

    def systems(self):
        systems = systems_for(self.request.user)
        try:
            from karte.systems.filters import SystemFilterSet
        except ImportError:
            return systems
        filterset = SystemFilterSet(self.request.GET, queryset=systems, request=self.request)
        # As the list does: filters that do not validate show nothing rather than everything.
        return filterset.qs if filterset.is_valid() else systems.none()


class AllKartesXlsxView(AllKartesView):
    def get(self, request, *args, **kwargs):
        content = kartes_workbook(self.systems(), fiscal_year=self.fiscal_year())
        return attachment(content, XLSX_MIME, "kartes.xlsx")


class AllKartesPdfView(AllKartesView):
    def get(self, request, *args, **kwargs):
        try:
            content = kartes_pdf(self.systems(), fiscal_year=self.fiscal_year())
        except TooManyKartes as error:
            return self.too_many(str(error))
        return attachment(content, PDF_MIME, "kartes.pdf")

    def too_many(self, message: str) -> HttpResponse:
        """Back to the list, with its filters and the message; a plain 400 if there is no list to go to."""
        try:
            url = reverse("systems:system_list")
        except NoReverseMatch:
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        messages.error(self.request, message)
        query = self.request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url)
