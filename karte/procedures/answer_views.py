"""Answering a procedures survey round: a department's answers on the page, row by row, and as a sheet.

The pages are core.round_answers'; here is what is the procedures registry's own: its answers, how a row
shows one, its form and its sheet. Every change goes through services.save_answer, so the KPIs follow and
a closed round never changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from karte.core import round_answers
from karte.procedures import services
from karte.procedures.answer_forms import AnswerForm
from karte.procedures.choices import OnlineStatus, Reason
from karte.procedures.importers import ProceduresImporter
from karte.procedures.models import ProcedureAnswer
from karte.procedures.rounds import ProcedureRound


@dataclass
class AnswerRow:
    """One answer as a table row shows it."""

    answer: ProcedureAnswer
    may_edit: bool

    @property
    def status_label(self) -> str:
        return OnlineStatus(self.answer.status).label if self.answer.status else ""

    @property
    def reason_labels(self) -> list[str]:
        return [Reason(r).label for r in self.answer.reasons if r in Reason.values]


class ProceduresRoundMixin(round_answers.RoundAnswersMixin):
    kind = ProcedureRound.kind
    answer_model = ProcedureAnswer
    app = "procedures"
    importer_class = ProceduresImporter


class RoundAnswersView(ProceduresRoundMixin, round_answers.RoundAnswersView):
    template_name = "procedures/answers/round_answers.html"
    row_class = AnswerRow

    def table_answers(self, department_id):
        return (
            self.answers_in(self.survey, department_id)
            .select_related("procedure", "unit")
            .order_by("procedure__code", "procedure__name", "pk")
        )


class AnswerEditView(ProceduresRoundMixin, round_answers.AnswerEditView):
    template_name = "procedures/answers/answer_edit.html"
    row_template = "procedures/answers/row.html"
    row_form_template = "procedures/answers/row_form.html"
    row_class = AnswerRow
    form_class = AnswerForm
    answer_related = ("round", "procedure", "unit", "department")

    def subject(self, answer):
        return str(answer.procedure)

    def save_answer(self, answer, form):
        services.save_answer(answer, self.request.user, **form.cleaned_data)


class RoundSubmitView(ProceduresRoundMixin, round_answers.RoundSubmitView):
    pass


class AnswersXlsxView(ProceduresRoundMixin, round_answers.AnswersXlsxView):
    pass
