from django.urls import path

from karte.disposals import views

app_name = "disposals"

urlpatterns = [
    path("", views.StorageDisposalListView.as_view(), name="storagedisposal_list"),
    path("add/", views.StorageDisposalEditView.as_view(), name="storagedisposal_add"),
    path("missing-certificates/", views.MissingCertificatesView.as_view(), name="missing_certificates"),
    path("<int:pk>/", views.StorageDisposalDetailView.as_view(), name="storagedisposal_detail"),
    path("<int:pk>/edit/", views.StorageDisposalEditView.as_view(), name="storagedisposal_edit"),
    path("<int:pk>/delete/", views.StorageDisposalDeleteView.as_view(), name="storagedisposal_delete"),
    path("<int:pk>/history/", views.StorageDisposalHistoryView.as_view(), name="storagedisposal_history"),
    path("<int:pk>/certificate/", views.CertificateDownloadView.as_view(), name="certificate_download"),
]
