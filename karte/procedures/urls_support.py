from django.urls import path

from karte.procedures import views

urlpatterns = [
    path("support/", views.SupportCaseListView.as_view(), name="supportcase_list"),
    path("support/overview/", views.SupportOverviewView.as_view(), name="support_overview"),
    path("support/add/", views.SupportCaseEditView.as_view(), name="supportcase_add"),
    path("support/<int:pk>/", views.SupportCaseDetailView.as_view(), name="supportcase_detail"),
    path("support/<int:pk>/edit/", views.SupportCaseEditView.as_view(), name="supportcase_edit"),
    path("support/<int:pk>/delete/", views.SupportCaseDeleteView.as_view(), name="supportcase_delete"),
    path("support/<int:pk>/history/", views.SupportCaseHistoryView.as_view(), name="supportcase_history"),
    path("support/hearings/add/", views.HearingEditView.as_view(), name="hearing_add"),
    path("support/hearings/<int:pk>/", views.HearingDetailView.as_view(), name="hearing_detail"),
    path("support/hearings/<int:pk>/edit/", views.HearingEditView.as_view(), name="hearing_edit"),
    path("support/hearings/<int:pk>/delete/", views.HearingDeleteView.as_view(), name="hearing_delete"),
    path("support/hearings/<int:pk>/history/", views.HearingHistoryView.as_view(), name="hearing_history"),
    path("form-templates/", views.FormTemplateListView.as_view(), name="formtemplate_list"),
    path("form-templates/add/", views.FormTemplateEditView.as_view(), name="formtemplate_add"),
    path("form-templates/<int:pk>/", views.FormTemplateDetailView.as_view(), name="formtemplate_detail"),
    path("form-templates/<int:pk>/edit/", views.FormTemplateEditView.as_view(), name="formtemplate_edit"),
    path(
        "form-templates/<int:pk>/delete/", views.FormTemplateDeleteView.as_view(), name="formtemplate_delete"
    ),
    path(
        "form-templates/<int:pk>/history/",
        views.FormTemplateHistoryView.as_view(),
        name="formtemplate_history",
    ),
]
