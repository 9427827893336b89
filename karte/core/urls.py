from django.urls import path

from karte.core import round_views, views

app_name = "core"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("org/", views.OrgUnitListView.as_view(), name="orgunit_list"),
    path("org/add/", views.OrgUnitEditView.as_view(), name="orgunit_add"),
    path("org/<int:pk>/", views.OrgUnitDetailView.as_view(), name="orgunit_detail"),
    path("org/<int:pk>/edit/", views.OrgUnitEditView.as_view(), name="orgunit_edit"),
    path("org/<int:pk>/history/", views.OrgUnitHistoryView.as_view(), name="orgunit_history"),
    path("people/", views.PersonListView.as_view(), name="person_list"),
    path("people/add/", views.PersonEditView.as_view(), name="person_add"),
    path("people/<int:pk>/edit/", views.PersonEditView.as_view(), name="person_edit"),
    path("imports/", views.ImportListView.as_view(), name="import_list"),
    path("imports/new/<slug:kind>/", views.ImportNewView.as_view(), name="import_new"),
    path("imports/<int:pk>/", views.ImportJobView.as_view(), name="import_job"),
    path("imports/<int:pk>/apply/", views.ImportApplyView.as_view(), name="import_apply"),
    path("imports/<int:pk>/errors.csv", views.ImportErrorsView.as_view(), name="import_errors"),
    path("audit/", views.AuditTrailView.as_view(), name="audit_trail"),
    path("rounds/", round_views.RoundListView.as_view(), name="round_list"),
    path("rounds/open/", round_views.RoundOpenView.as_view(), name="round_open"),
    path("rounds/<int:pk>/", round_views.RoundDetailView.as_view(), name="round_detail"),
    path("rounds/<int:pk>/remind/", round_views.RoundRemindView.as_view(), name="round_remind"),
    path("rounds/<int:pk>/send-back/", round_views.RoundSendBackView.as_view(), name="round_send_back"),
    path("rounds/<int:pk>/close/", round_views.RoundCloseView.as_view(), name="round_close"),
]
