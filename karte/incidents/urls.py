from django.urls import path

from karte.incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.IncidentListView.as_view(), name="incident_list"),
    path("add/", views.IncidentEditView.as_view(), name="incident_add"),
    path("<int:pk>/", views.IncidentDetailView.as_view(), name="incident_detail"),
    path("<int:pk>/edit/", views.IncidentEditView.as_view(), name="incident_edit"),
    path("<int:pk>/delete/", views.IncidentDeleteView.as_view(), name="incident_delete"),
    path("<int:pk>/history/", views.IncidentHistoryView.as_view(), name="incident_history"),
    path("<int:pk>/timeline/", views.TimelineEntryAddView.as_view(), name="incident_add_entry"),
    path("<int:pk>/status/", views.StatusChangeView.as_view(), name="incident_change_status"),
    path("<int:pk>/report/", views.ReportDownloadView.as_view(), name="incident_report"),
]
