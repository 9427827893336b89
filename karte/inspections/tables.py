"""Tables of the self-inspection: the question set, follow-up actions, and scores."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from karte.core.tables import Col, Table
from karte.inspections.choices import ActionStatus
from karte.inspections.filters import STATUS_RANK


class InspectionSectionTable(Table):
    """Rows are annotated with question_count by the view."""

    columns = [
        Col("order", _("Order"), order_by="order", is_num=True),
        Col("name", _("Name"), order_by="name", link=True),
        Col("question_count", _("Questions"), order_by="question_count", is_num=True),
    ]
    default_order = "order"
    caption = _("Inspection sections")


class InspectionQuestionTable(Table):
    columns = [
        Col("section.name", _("Inspection area"), order_by="section__order"),
        Col("order", _("Order"), order_by="order", is_num=True),
        Col("text", _("Question"), link=True),
        Col("active", _("Asked in new rounds"), order_by="active"),
    ]
    caption = _("Inspection questions")
    empty_text = _("No questions yet. The office can install the default questions.")

    def order(self, queryset):
        if self.sort:
            return super().order(queryset)
        return queryset.order_by("section__order", "section__name", "order", "pk")


def _status(action) -> str:
    return ActionStatus(action.status).label


class FollowUpActionTable(Table):
    """Overdue actions first (red), then open ones by due date, then done ones."""

    columns = [
        Col(str, _("What will be done"), link=True),
        Col(lambda a: f"{a.system.code} {a.system.name}", _("System"), order_by="system__code"),
        Col("unit.department.name", _("Department"), order_by="unit__department__code"),
        Col("person_in_charge", _("Person in charge"), order_by="person_in_charge"),
        Col("due_on", _("Due on"), order_by="due_on"),
        Col("done_on", _("Done on"), order_by="done_on"),
        Col(_status, _("Status"), order_by="status_rank"),
    ]
    caption = _("Follow-up actions")
    empty_text = _("No follow-up actions.")

    def order(self, queryset):
        if self.sort:
            return super().order(queryset)
        return queryset.order_by("status_rank", "due_on", "pk")

    def row_tone(self, obj) -> str:
        return "danger" if getattr(obj, "status_rank", None) == STATUS_RANK[ActionStatus.OVERDUE] else ""


def percent_text(score) -> str:
    return "—" if score.percent is None else f"{score.percent}%"


SCORE_COLUMNS = [
    Col(percent_text, _("Score"), is_num=True),
    Col("applicable", _("Answers scored"), is_num=True),
    Col("not_implemented", _("Not implemented"), is_num=True),
    Col("not_applicable", _("Not applicable"), is_num=True),
    Col("unanswered", _("Unanswered"), is_num=True),
]


class ScoreTable(Table):
    """Scores already computed (selectors.Score); a link goes where `extra["url"]` says."""

    def link_for(self, obj, column):
        return obj.extra.get("url")


class SectionScoreTable(ScoreTable):
    columns = [Col("label", _("Inspection area")), *SCORE_COLUMNS]
    caption = _("Score by section")
    empty_text = _("No answers yet.")


class DepartmentScoreTable(ScoreTable):
    columns = [Col("label", _("Department"), link=True), *SCORE_COLUMNS]
    caption = _("Score by department")
    empty_text = _("No answers yet.")


class SystemScoreTable(ScoreTable):
    columns = [
        Col("label", _("System"), link=True),
        Col(lambda s: s.extra.get("department__name"), _("Department")),
        *SCORE_COLUMNS,
    ]
    caption = _("Score by system")
    empty_text = _("No answers yet.")


class WeakestQuestionTable(ScoreTable):
    columns = [
        Col("label", _("Question")),
        Col(lambda s: s.extra.get("question__section__name"), _("Inspection area")),
        Col(percent_text, _("Score"), is_num=True),
        Col("not_implemented", _("Systems not implementing it"), is_num=True),
        Col("applicable", _("Answers scored"), is_num=True),
    ]
    caption = _("Weakest questions")
    empty_text = _("No answers yet.")

    def row_tone(self, obj) -> str:
        return "danger" if obj.not_implemented else ""
