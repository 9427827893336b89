from django.urls import path

from karte.procedures import views

urlpatterns = [
    path("inventory/", views.ProcedureListView.as_view(), name="procedure_list"),
    path("inventory/add/", views.ProcedureEditView.as_view(), name="procedure_add"),
    path("inventory/<int:pk>/", views.ProcedureDetailView.as_view(), name="procedure_detail"),
    path("inventory/<int:pk>/edit/", views.ProcedureEditView.as_view(), name="procedure_edit"),
    path("inventory/<int:pk>/delete/", views.ProcedureDeleteView.as_view(), name="procedure_delete"),
    path("inventory/<int:pk>/history/", views.ProcedureHistoryView.as_view(), name="procedure_history"),
    path("kpis/", views.KpiView.as_view(), name="kpis"),
]
