"""Answering survey rounds of procedures: the answers page, inline edits, submitting and the sheet."""

from django.urls import path

from karte.procedures import answer_views

urlpatterns = [
    path("rounds/<int:pk>/answers/", answer_views.RoundAnswersView.as_view(), name="round_answers"),
    path("rounds/<int:pk>/answers.xlsx", answer_views.AnswersXlsxView.as_view(), name="answers_xlsx"),
    path("rounds/<int:pk>/submit/", answer_views.RoundSubmitView.as_view(), name="round_submit"),
    path("answers/<int:pk>/edit/", answer_views.AnswerEditView.as_view(), name="answer_edit"),
]
