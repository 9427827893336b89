from django.urls import path

from tests.ledger import views

app_name = "ledger"
urlpatterns = [
    path("", views.LedgerListView.as_view(), name="ledger_list"),
    path("add/", views.LedgerEditView.as_view(), name="ledger_add"),
    path("<int:pk>/", views.LedgerDetailView.as_view(), name="ledger_detail"),
    path("<int:pk>/edit/", views.LedgerEditView.as_view(), name="ledger_edit"),
    path("<int:pk>/delete/", views.LedgerDeleteView.as_view(), name="ledger_delete"),
    path("<int:pk>/history/", views.LedgerHistoryView.as_view(), name="ledger_history"),
]
