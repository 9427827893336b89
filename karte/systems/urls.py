from django.urls import path

from karte.systems import export_views, views

app_name = "systems"

urlpatterns = [
    path("", views.SystemListView.as_view(), name="system_list"),
    path("add/", views.SystemEditView.as_view(), name="system_add"),
    path("<int:pk>/", views.SystemDetailView.as_view(), name="system_detail"),
    path("<int:pk>/edit/", views.SystemEditView.as_view(), name="system_edit"),
    path("<int:pk>/delete/", views.SystemDeleteView.as_view(), name="system_delete"),
    path("<int:pk>/history/", views.SystemHistoryView.as_view(), name="system_history"),
    path("<int:pk>/karte.xlsx", export_views.SystemKarteXlsxView.as_view(), name="system_karte_xlsx"),
    path("<int:pk>/karte.pdf", export_views.SystemKartePdfView.as_view(), name="system_karte_pdf"),
    path("kartes.xlsx", export_views.AllKartesXlsxView.as_view(), name="kartes_xlsx"),
    path("kartes.pdf", export_views.AllKartesPdfView.as_view(), name="kartes_pdf"),
    path("contracts/add/", views.ContractEditView.as_view(), name="contract_add"),
    path("contracts/<int:pk>/", views.ContractDetailView.as_view(), name="contract_detail"),
    path("contracts/<int:pk>/edit/", views.ContractEditView.as_view(), name="contract_edit"),
    path("contracts/<int:pk>/delete/", views.ContractDeleteView.as_view(), name="contract_delete"),
    path("contracts/<int:pk>/history/", views.ContractHistoryView.as_view(), name="contract_history"),
    path("costs/add/", views.CostEditView.as_view(), name="cost_add"),
    path("costs/<int:pk>/", views.CostDetailView.as_view(), name="cost_detail"),
    path("costs/<int:pk>/edit/", views.CostEditView.as_view(), name="cost_edit"),
    path("costs/<int:pk>/delete/", views.CostDeleteView.as_view(), name="cost_delete"),
    path("costs/<int:pk>/history/", views.CostHistoryView.as_view(), name="cost_history"),
    path("vendors/", views.VendorListView.as_view(), name="vendor_list"),
    path("vendors/<int:pk>/", views.VendorDetailView.as_view(), name="vendor_detail"),
    path("vendors/<int:pk>/history/", views.VendorHistoryView.as_view(), name="vendor_history"),
    path("vendors/<int:pk>/edit/", views.VendorEditView.as_view(), name="vendor_edit"),
    path("vendors/<int:pk>/merge/", views.VendorMergeView.as_view(), name="vendor_merge"),
    path("working-groups/", views.WorkingGroupListView.as_view(), name="workinggroup_list"),
    path("working-groups/add/", views.WorkingGroupEditView.as_view(), name="workinggroup_add"),
    path("working-groups/<int:pk>/", views.WorkingGroupDetailView.as_view(), name="workinggroup_detail"),
    path("working-groups/<int:pk>/edit/", views.WorkingGroupEditView.as_view(), name="workinggroup_edit"),
    path(
        "working-groups/<int:pk>/delete/", views.WorkingGroupDeleteView.as_view(), name="workinggroup_delete"
    ),
    path(
        "working-groups/<int:pk>/history/",
        views.WorkingGroupHistoryView.as_view(),
        name="workinggroup_history",
    ),
    path("lock-in/", views.LockInView.as_view(), name="lock_in"),
    path("renewals/", views.RenewalsView.as_view(), name="renewals"),
    path("common-platform/", views.CommonPlatformView.as_view(), name="platform"),
    path("portfolio/", views.PortfolioView.as_view(), name="portfolio"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
]
