"""Answering security measures survey rounds: the answers page, inline edits, submitting, the sheet and the
comparison with the previous round. karte.security.urls adds them to its namespace."""

from django.urls import path

from karte.security import answer_views

urlpatterns = [
    path("rounds/<int:pk>/answers/", answer_views.RoundAnswersView.as_view(), name="round_answers"),
    path("rounds/<int:pk>/answers.xlsx", answer_views.AnswersXlsxView.as_view(), name="answers_xlsx"),
    path("rounds/<int:pk>/submit/", answer_views.RoundSubmitView.as_view(), name="round_submit"),
    path("rounds/<int:pk>/compare/", answer_views.RoundCompareView.as_view(), name="round_compare"),
    path("answers/<int:pk>/edit/", answer_views.AnswerEditView.as_view(), name="answer_edit"),
]
