from django.urls import path

from karte.vulnerabilities import views

app_name = "vulnerabilities"

urlpatterns = [
    path("", views.FindingListView.as_view(), name="finding_list"),
    path("add/", views.FindingEditView.as_view(), name="finding_add"),
    path("overdue/", views.OverdueView.as_view(), name="overdue"),
    path("<int:pk>/", views.FindingDetailView.as_view(), name="finding_detail"),
    path("<int:pk>/edit/", views.FindingEditView.as_view(), name="finding_edit"),
    path("<int:pk>/delete/", views.FindingDeleteView.as_view(), name="finding_delete"),
    path("<int:pk>/history/", views.FindingHistoryView.as_view(), name="finding_history"),
    path("hosts/", views.HostListView.as_view(), name="host_list"),
    path("hosts/add/", views.HostEditView.as_view(), name="host_add"),
    path("hosts/<int:pk>/", views.HostDetailView.as_view(), name="host_detail"),
    path("hosts/<int:pk>/edit/", views.HostEditView.as_view(), name="host_edit"),
    path("hosts/<int:pk>/delete/", views.HostDeleteView.as_view(), name="host_delete"),
    path("hosts/<int:pk>/history/", views.HostHistoryView.as_view(), name="host_history"),
]
