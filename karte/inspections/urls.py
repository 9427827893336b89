from django.urls import path

from karte.inspections import answer_views, views

app_name = "inspections"

urlpatterns = [
    path("", views.ResultsView.as_view(), name="results"),
    # Answering a round (the core round pages link to round_answers).
    path("rounds/<int:pk>/answers/", answer_views.RoundAnswersView.as_view(), name="round_answers"),
    path(
        "rounds/<int:pk>/systems/<int:system_pk>/",
        answer_views.SystemAnswersView.as_view(),
        name="system_answers",
    ),
    path("rounds/<int:pk>/submit/", answer_views.RoundSubmitView.as_view(), name="round_submit"),
    path("evidence/<int:pk>/", views.EvidenceDownloadView.as_view(), name="evidence_download"),
    path("evidence/<int:pk>/delete/", views.EvidenceDeleteView.as_view(), name="evidence_delete"),
    # Follow-up actions.
    path("actions/", views.FollowUpActionListView.as_view(), name="followupaction_list"),
    path("actions/add/", views.FollowUpActionEditView.as_view(), name="followupaction_add"),
    path("actions/<int:pk>/", views.FollowUpActionDetailView.as_view(), name="followupaction_detail"),
    path("actions/<int:pk>/edit/", views.FollowUpActionEditView.as_view(), name="followupaction_edit"),
    path("actions/<int:pk>/delete/", views.FollowUpActionDeleteView.as_view(), name="followupaction_delete"),
    path(
        "actions/<int:pk>/history/", views.FollowUpActionHistoryView.as_view(), name="followupaction_history"
    ),
    # The question set, the office's to change.
    path("questions/", views.InspectionQuestionListView.as_view(), name="inspectionquestion_list"),
    path("questions/install-defaults/", views.InstallDefaultsView.as_view(), name="install_defaults"),
    path("questions/add/", views.InspectionQuestionEditView.as_view(), name="inspectionquestion_add"),
    path(
        "questions/<int:pk>/", views.InspectionQuestionDetailView.as_view(), name="inspectionquestion_detail"
    ),
    path(
        "questions/<int:pk>/edit/", views.InspectionQuestionEditView.as_view(), name="inspectionquestion_edit"
    ),
    path(
        "questions/<int:pk>/delete/",
        views.InspectionQuestionDeleteView.as_view(),
        name="inspectionquestion_delete",
    ),
    path(
        "questions/<int:pk>/history/",
        views.InspectionQuestionHistoryView.as_view(),
        name="inspectionquestion_history",
    ),
    path("sections/", views.InspectionSectionListView.as_view(), name="inspectionsection_list"),
    path("sections/add/", views.InspectionSectionEditView.as_view(), name="inspectionsection_add"),
    path("sections/<int:pk>/", views.InspectionSectionDetailView.as_view(), name="inspectionsection_detail"),
    path("sections/<int:pk>/edit/", views.InspectionSectionEditView.as_view(), name="inspectionsection_edit"),
    path(
        "sections/<int:pk>/delete/",
        views.InspectionSectionDeleteView.as_view(),
        name="inspectionsection_delete",
    ),
    path(
        "sections/<int:pk>/history/",
        views.InspectionSectionHistoryView.as_view(),
        name="inspectionsection_history",
    ),
]
