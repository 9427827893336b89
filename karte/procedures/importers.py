"""The procedure survey sheet (行政手続のオンライン化状況調査): one row per procedure, into a survey round.

A row keeps the procedure in the inventory (name, legal basis, owner, kind, who applies …) and sets its
answer in the importer's round (volumes, online status, planned year, reasons). The same columns come out
of `export_rows`, so that a department can export its answers, edit them in Excel and import them back.

Rows find their procedure by 手続ID within the body; a row without an ID, or with an ID no procedure has
yet, finds it by owner (所管課) and name among procedures without an ID, so that sheets from before IDs
were given still line up across rounds (and the procedure takes the ID the newer sheet gives it).

The round is named by the `round` option and looked up in the importing user's body (the command line:
the body the sheet's units belong to); without it, the newest open round. A round that does not exist is
created by the office or the command line, open, with the fiscal year its name gives (令和4年度調査 →
2022): a sheet imported into a new round is its whole answer, so the round is not pre-filled from the
inventory as a round opened on screen is. A closed round is a frozen snapshot and refuses every import.

As in the systems sheet, an empty cell leaves the stored value as it is: the pipeline cannot tell an empty
cell from a column the sheet does not have (the R2 sheet has no planned year and no reasons).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable
from functools import partial
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from karte.core import fiscal, rounds
from karte.core.choices import RoundStatus
from karte.core.importing.base import (
    NEW,
    UNCHANGED,
    AssignableUnits,
    Column,
    Importer,
    Plan,
    Progress,
    Record,
    RowError,
)
from karte.core.importing.normalize import to_bool, to_choice, to_code, to_fiscal_year, to_int, to_text
from karte.core.importing.registry import register
from karte.core.models import OrgUnit, RoundParticipation, SurveyRound
from karte.core.scoping import CHANGE, scope_for
from karte.procedures.choices import REASON_WORDS, SHEET_KIND, SHEET_STATUS, OnlineStatus, Reason
from karte.procedures.models import Procedure, ProcedureAnswer
from karte.procedures.rounds import ProcedureRound
from karte.procedures.services import refresh_summaries

KIND = "procedures"
BATCH = 2000
# bulk_update writes one CASE WHEN per field over its batch: smaller batches keep it linear.
UPDATE_BATCH = 250
YES, NO = "有", "無"

# Inventory fields a row may set on the procedure, and answer fields it may set in the round.
# "applicants" stands for the three by_* flags, which the sheet writes in one cell (府民・事業者).
PROCEDURE_FIELDS = (
    "unit_id",
    "code",
    "name",
    "legal_basis",
    "kind",
    "applicants",
    "has_attachments",
    "has_fee",
)
APPLICANT_FLAGS = ("by_residents", "by_businesses", "by_municipalities")
ANSWER_FIELDS = ("yearly_volume", "online_volume", "status", "target_fy", "reasons", "note")
ANSWER_DEFAULTS = {
    "yearly_volume": None,
    "online_volume": None,
    "status": "",
    "target_fy": None,
    "reasons": [],
    "note": "",
}
# Marks, in the preview, an answer the round does not have yet.
ANSWER = "answer"

# The words written on export: the first word SHEET_STATUS / SHEET_KIND give each value.
STATUS_WORD = {status: word for word, status in reversed(SHEET_STATUS.items())}
KIND_WORD = {kind: word for word, kind in reversed(SHEET_KIND.items())}
# The phrases of the R4 survey, written on export; each contains its REASON_WORDS key word.
REASON_PHRASE = {
    Reason.ORIGINAL_DOCUMENT: "原本確認が必要",
    Reason.IN_PERSON_ID: "対面での本人確認が必要",
    Reason.SITE_INSPECTION: "現地確認が必要",
    Reason.FEE: "手数料の納付方法",
    Reason.STATUTORY_FORM: "法令上の様式制約",
    Reason.FEW_CASES: "件数が少なく費用対効果が低い",
    Reason.ATTACHMENTS: "添付書類が多い",
    Reason.OTHER: "その他",
}
REASON_SEPARATORS = re.compile(r"[、,，・／/;；\n]")
APPLICANT_SEPARATORS = re.compile(r"[・、,，／/]|及び|および")
RESIDENT_WORDS = frozenset(
    ("府民", "県民", "都民", "道民", "市民", "区民", "町民", "村民", "住民", "個人", "国民")
)
BUSINESS_WORDS = frozenset(("事業者", "法人", "企業", "事業所"))
MUNICIPALITY_WORDS = frozenset(("市町村", "市区町村", "地方公共団体", "自治体"))
# An era or Western fiscal year inside a longer text: 令和7年度末までに予定, 令和4年度調査, R4, 2024年度.
YEAR_IN_TEXT = re.compile(
    r"(?<![A-Za-z])(?:(?:令和|平成|昭和|[RHS])(?:元|\d{1,2})(?:年度?)?|FY\d{4}|\d{4}年度)"
)
WHITESPACE = re.compile(r"\s+")

MSG_STATUS = (
    "オンライン化状況は「{words}」のいずれか、"
    "または「令和7年度末までに予定」の形で入力してください（「{value}」）"
)
MSG_APPLICANTS = "手続の主体は「府民」「事業者」「市町村」を・で区切って入力してください（「{value}」）"
MSG_CLOSED = (
    "照会「{name}」は締め切られています。締め切った照会は確定した記録のため、取り込みでは変更できません。"
)
MSG_NO_ROUND = "照会「{name}」はありません。"
MSG_NO_OPEN_ROUND = "受付中の照会がありません。取り込む照会を指定してください。"
MSG_LONG_NAME = "照会名が長すぎます（100文字まで）。"
MSG_BODIES = "複数の団体の手続が含まれています。団体ごとに取り込んでください。"


def _compact(value: object) -> str:
    return WHITESPACE.sub("", unicodedata.normalize("NFKC", str(value)))


def fiscal_year_in(text: str) -> int | None:
    """Return the fiscal year a text names somewhere in it (令和4年度調査 → 2022), None when it names none."""
    match = YEAR_IN_TEXT.search(_compact(text).upper())
    if match is None:
        return None
    try:
        return fiscal.parse_fiscal_year(match.group())
    except fiscal.FiscalParseError:
        return None


def to_status(v: object) -> tuple[str, int | None] | None:
    """Return (status, the fiscal year the cell names) for an オンライン化状況 cell, None when blank.

    Besides the words of SHEET_STATUS, a category with its year: '令和7年度末までに予定' is planned (for
    FY2025), '令和9年度以降' is later.
    """
    if v is None:
        return None
    text = _compact(v)
    if not text:
        return None
    words = {_compact(word): status for word, status in SHEET_STATUS.items()}
    words.update({_compact(label): value for value, label in OnlineStatus.choices})
    words.update({value: value for value in OnlineStatus.values})
    if text in words:
        return words[text], None
    if text.endswith("予定") and not re.search(r"未|なし|無し", text):
        return OnlineStatus.PLANNED, fiscal_year_in(text)
    if text.endswith("以降"):
        return OnlineStatus.LATER, None
    shown = "」「".join(SHEET_STATUS)
    raise ValueError(MSG_STATUS.format(words=shown, value=to_text(v)[:30]))


def to_reasons(v: object) -> list[str] | None:
    """Return the reasons a cell lists ('原本確認が必要、手数料の納付方法'), 'other' for phrases no key word
    matches; None when blank."""
    if v is None:
        return None
    reasons: list[str] = []
    for phrase in REASON_SEPARATORS.split(unicodedata.normalize("NFKC", str(v))):
        phrase = phrase.strip()
        if not phrase:
            continue
        reason = next((r for word, r in REASON_WORDS if word in phrase), Reason.OTHER)
        if reason not in reasons:
            reasons.append(str(reason))
    return reasons or None


def to_applicants(v: object) -> tuple[bool, bool, bool] | None:
    """Return (residents, businesses, municipalities) for a 手続の主体 cell; None when blank."""
    if v is None:
        return None
    flags = [False, False, False]
    words = [w for w in APPLICANT_SEPARATORS.split(_compact(v)) if w]
    if not words:
        return None
    for word in words:
        for index, known in enumerate((RESIDENT_WORDS, BUSINESS_WORDS, MUNICIPALITY_WORDS)):
            if word in known:
                flags[index] = True
                break
        else:
            raise ValueError(MSG_APPLICANTS.format(value=to_text(v)[:30]))
    return flags[0], flags[1], flags[2]


def residents_word(body_name: str) -> str:
    """Return what the body calls its residents: 大阪府 → 府民, 横浜市 → 市民."""
    last = body_name[-1:] if body_name else ""
    return f"{last}民" if last and last in "都道府県市区町村" else "住民"


@register
class ProceduresImporter(Importer):
    kind = KIND
    label = _("Administrative procedures")
    export_filename = "procedures"
    columns = [
        Column("code", "手続ID", ("手続コード", "手続番号", "ID", "procedure ID"), parse=to_code),
        Column("department", "部局名", ("部局", "部局等", "部名")),
        Column("unit_name", "所管課", ("所管所属", "所属名", "担当課", "所管課室", "所属")),
        Column("unit_code", "所属コード", ("所管課コード", "課コード"), parse=to_code),
        Column("name", "手続名", ("手続の名称", "名称", "procedure name"), required=True),
        Column("legal_basis", "根拠法令等", ("根拠法令", "根拠法令・条例", "根拠法令等（条項）")),
        Column(
            "kind",
            "手続の種類",
            ("種類", "手続種別", "種別"),
            parse=partial(to_choice, choices=[(kind, word) for word, kind in SHEET_KIND.items()]),
        ),
        Column("applicants", "手続の主体", ("主体", "手続主体", "申請者"), parse=to_applicants),
        Column("yearly_volume", "年間処理件数", ("年間件数", "処理件数", "年間申請件数"), parse=to_int),
        Column(
            "online_volume", "うちオンライン件数", ("オンライン件数", "うちオンライン処理件数"), parse=to_int
        ),
        Column("status", "オンライン化状況", ("オンライン化の状況", "状況"), parse=to_status),
        Column(
            "target_fy",
            "オンライン化予定時期",
            ("予定時期", "オンライン化予定年度", "予定年度"),
            parse=to_fiscal_year,
        ),
        Column(
            "reasons",
            "オンライン化できない理由",
            ("できない理由", "オンライン化できない主な理由", "理由"),
            parse=to_reasons,
        ),
        Column("has_attachments", "添付書類の有無", ("添付書類",), parse=to_bool),
        Column("has_fee", "手数料の有無", ("手数料",), parse=to_bool),
        Column("note", "備考", ("メモ",)),
    ]

    options = ("round",)

    def __init__(self, user, round: str | None = None):
        super().__init__(user)
        self.round_name = (round or "").strip() or None
        self._units: AssignableUnits | None = None
        self._residents: dict[int, str] = {}
        self.survey: SurveyRound | None = None
        self.create_round_in: int | None = None
        self.round_error = ""

    @property
    def units(self) -> AssignableUnits:
        # Built on first use: the import pages instantiate every importer just to ask permitted().
        if self._units is None:
            self._units = AssignableUnits(self.user)
        return self._units

    def permitted(self) -> bool:
        return self.user is None or scope_for(self.user).may_write

    def _is_office(self) -> bool:
        return self.user is None or scope_for(self.user).is_office

    # -- reading rows ------------------------------------------------------------------------------
    def records_from_row(self, values: dict[str, Any]) -> list[Record]:
        unit = self._unit(values)
        fields: dict[str, Any] = {"unit_id": unit.pk, "name": values["name"]}
        if values["code"]:
            fields["code"] = values["code"]
        for name in ("legal_basis", "kind", "applicants", "has_attachments", "has_fee"):
            if values[name] not in (None, ""):
                fields[name] = values[name]
        yearly, online = values["yearly_volume"], values["online_volume"]
        for name, number in (("yearly_volume", yearly), ("online_volume", online)):
            if number is not None and number < 0:
                raise RowError("件数は0以上で入力してください", name)
        if yearly is not None and online is not None and online > yearly:
            raise RowError(
                f"オンライン件数（{online:,}）が年間処理件数（{yearly:,}）を超えています", "online_volume"
            )
        for name in ("yearly_volume", "online_volume"):
            if values[name] is not None:
                fields[name] = values[name]
        if values["status"] is not None:
            status, year_in_status = values["status"]
            fields["status"] = status
            # '令和7年度末までに予定' names the year when the planned-time column is empty.
            target = values["target_fy"] or (year_in_status if status == OnlineStatus.PLANNED else None)
            if target is not None:
                fields["target_fy"] = target
        elif values["target_fy"] is not None:
            fields["target_fy"] = values["target_fy"]
        if values["reasons"] is not None:
            fields["reasons"] = values["reasons"]
        if values["note"]:
            fields["note"] = values["note"]
        if values["code"]:
            key: Hashable = (unit.body_id, values["code"])
        else:
            key = (unit.body_id, unit.pk, values["name"])
        return [Record(key, fields, 0)]

    def _unit(self, values: dict[str, Any]):
        return self.units.find(values["unit_code"], values["unit_name"], values["department"])

    def describe(self, record: Record) -> str:
        code = record.fields.get("code") or "（IDなし）"
        return f"{code} {record.fields.get('name', '')}"

    def field_label(self, name: str) -> str:
        labels = {"unit_id": "所管課", "code": "手続ID", ANSWER: f"照会「{self._round_label()}」の回答"}
        return labels.get(name) or super().field_label(name)

    def _round_label(self) -> str:
        return self.survey.name if self.survey is not None else (self.round_name or "")

    # -- comparing with the database ---------------------------------------------------------------
    def existing(self, records: list[Record]) -> dict[Hashable, Procedure]:
        bodies = {r.key[0] for r in records}
        self._find_round(bodies)
        procedures = Procedure.objects.filter(body_id__in=bodies)
        if self.user is not None:
            procedures = procedures.restrict(self.user, CHANGE)
        by_code: dict[tuple[int, str], Procedure] = {}
        by_owner: dict[tuple[int, str], list[Procedure]] = {}
        # Whole rows: the history written on update copies every field, and a deferred one costs a query.
        for procedure in procedures:
            if procedure.code:
                by_code[(procedure.body_id, procedure.code)] = procedure
            by_owner.setdefault((procedure.unit_id, procedure.name), []).append(procedure)
        found: dict[Hashable, Procedure] = {}
        self.ambiguous: set[Hashable] = set()
        for record in records:
            code = record.fields.get("code")
            owner = (record.fields["unit_id"], record.fields["name"])
            if code and (record.key[0], code) in by_code:
                found[record.key] = by_code[(record.key[0], code)]
                continue
            # Without an ID on either side, the owner and the name say which procedure it is.
            candidates = [p for p in by_owner.get(owner, []) if not code or not p.code]
            if len(candidates) == 1:
                found[record.key] = candidates[0]
            elif len(candidates) > 1:
                self.ambiguous.add(record.key)
        self.answers: dict[int, ProcedureAnswer] = {}
        if self.survey is not None and found:
            ids = [p.pk for p in found.values()]
            for start in range(0, len(ids), BATCH):
                for answer in ProcedureAnswer.objects.filter(
                    round=self.survey, procedure_id__in=ids[start : start + BATCH]
                ):
                    self.answers[answer.procedure_id] = answer
        units = {r.fields["unit_id"] for r in records} | {p.unit_id for p in found.values()}
        units |= {a.unit_id for a in self.answers.values()}
        self.unit_info = {
            pk: (name, department_id)
            for pk, name, department_id in OrgUnit.objects.filter(pk__in=units).values_list(
                "pk", "name", "department_id"
            )
        }
        return found

    def _find_round(self, bodies: set[int]) -> None:
        """Find the round the sheet goes into, or note that apply creates it, or why it cannot be."""
        self.survey, self.create_round_in, self.round_error = None, None, ""
        scope = scope_for(self.user) if self.user is not None else None
        if scope is not None and not scope.everything:
            bodies = {scope.body_id} if bodies else set()
        if not bodies:
            return
        if len(bodies) > 1:
            self.round_error = MSG_BODIES
            return
        body_id = next(iter(bodies))
        in_body = SurveyRound.objects.filter(body_id=body_id, kind=KIND)
        if self.round_name is None:
            self.survey = (
                in_body.filter(status=RoundStatus.OPEN).order_by("-fiscal_year", "-opened_at").first()
            )
            if self.survey is None:
                self.round_error = MSG_NO_OPEN_ROUND
            return
        self.survey = in_body.filter(name=self.round_name).first()
        if self.survey is None:
            if len(self.round_name) > SurveyRound._meta.get_field("name").max_length:
                self.round_error = MSG_LONG_NAME
            elif self._is_office():
                self.create_round_in = body_id
            else:
                self.round_error = MSG_NO_ROUND.format(name=self.round_name)

    def _answer_values(self, record: Record, answer: ProcedureAnswer | None) -> dict[str, Any]:
        """Return the answer's fields once the row is applied, with save_answer's rules: a planned year
        only for a planned procedure, no reasons for one online."""
        values = {
            name: record.fields.get(name, getattr(answer, name) if answer else ANSWER_DEFAULTS[name])
            for name in ANSWER_FIELDS
        }
        if values["status"] != OnlineStatus.PLANNED:
            values["target_fy"] = None
        if values["status"] == OnlineStatus.ONLINE:
            values["reasons"] = []
        return values

    def changes(self, record: Record, instance: Procedure) -> dict[str, tuple[Any, Any]]:
        changed: dict[str, tuple[Any, Any]] = {}
        for name in PROCEDURE_FIELDS:
            if name not in record.fields:
                continue
            old = self._current(instance, name)
            if old != record.fields[name]:
                body_id = record.key[0]
                changed[name] = (
                    self._shown(name, old, body_id),
                    self._shown(name, record.fields[name], body_id),
                )
        answer = self.answers.get(instance.pk)
        if answer is None:
            changed[ANSWER] = ("", "追加")
        elif answer.unit_id != record.fields["unit_id"] and "unit_id" not in changed:
            changed["unit_id"] = (
                self._shown("unit_id", answer.unit_id),
                self._shown("unit_id", record.fields["unit_id"]),
            )
        values = self._answer_values(record, answer)
        for name in ANSWER_FIELDS:
            old = getattr(answer, name) if answer else ANSWER_DEFAULTS[name]
            if old != values[name]:
                changed[name] = (self._shown(name, old), self._shown(name, values[name]))
        return changed

    @staticmethod
    def _current(procedure: Procedure, name: str) -> Any:
        if name == "applicants":
            return tuple(getattr(procedure, flag) for flag in APPLICANT_FLAGS)
        return getattr(procedure, name)

    def _shown(self, name: str, value: Any, body_id: int = 0) -> Any:
        if value is None or value == "" or value == []:
            return None
        if name == "unit_id":
            return self.unit_info.get(value, (value, None))[0]
        if name == "status":
            return STATUS_WORD.get(value, value)
        if name == "kind":
            return KIND_WORD.get(value, value)
        if name == "target_fy":
            return fiscal.format_fiscal_year(value, "ja")
        if name == "reasons":
            return "、".join(REASON_PHRASE.get(r, r) for r in value)
        if name == "applicants":
            return self._applicants_word(value, body_id) or None
        if name in ("has_attachments", "has_fee"):
            return YES if value else NO
        return value

    def check_plan(self, plan: Plan) -> None:
        """Refuse a sheet whose round is closed, unknown or locked, and rows that clash with the database."""
        if not plan.records:
            return
        if self.round_error:
            plan.errors.append({"row": 0, "column": "", "message": self.round_error})
            return
        if self.survey is not None and not self.survey.is_open:
            plan.errors.append({"row": 0, "column": "", "message": MSG_CLOSED.format(name=self.survey.name)})
            return
        self._check_participations(plan)
        self._check_records(plan)

    def _touched_departments(self, plan: Plan) -> set[int]:
        departments = set()
        for planned in plan.records:
            if planned.action == UNCHANGED:
                continue
            departments.add(self.unit_info[planned.record.fields["unit_id"]][1])
            answer = self.answers.get(planned.existing.pk) if planned.existing is not None else None
            if answer is not None:
                departments.add(answer.department_id)
        departments.discard(None)
        return departments

    def _check_participations(self, plan: Plan) -> None:
        """A department that has submitted is locked until the office sends its answer back."""
        if self.survey is None or self.user is None:
            return
        plan.errors.extend(rounds.sheet_refusals(self.survey, self._touched_departments(plan), self.user))

    def _check_records(self, plan: Plan) -> None:
        new_codes = [
            p.record.fields["code"] for p in plan.records if p.action == NEW and "code" in p.record.fields
        ]
        taken: set[tuple[int, str]] = set()
        if new_codes:
            # Procedures the user may not change (another department's) are not in existing(): ID taken.
            taken = set(
                Procedure.objects.filter(
                    body_id__in={p.record.key[0] for p in plan.records}, code__in=new_codes
                ).values_list("body_id", "code")
            )
        matched: dict[int, int] = {}
        for planned in plan.records:
            record = planned.record
            code = record.fields.get("code")
            if record.key in self.ambiguous:
                message = "同じ所管課に同じ名前の手続が複数あります。手続IDを入力してください"
                plan.errors.append({"row": record.row, "column": "手続名", "message": message})
            if planned.action == NEW and code and (record.key[0], code) in taken:
                message = f"手続ID「{code}」は、登録できる範囲の外の手続で使われています"
                plan.errors.append({"row": record.row, "column": "手続ID", "message": message})
            if planned.existing is not None:
                first = matched.setdefault(planned.existing.pk, record.row)
                if first != record.row:
                    message = f"{first} 行目と同じ手続を指しています（{planned.existing}）"
                    plan.errors.append({"row": record.row, "column": "手続名", "message": message})
                answer = self.answers.get(planned.existing.pk)
                values = self._answer_values(record, answer)
                yearly, online = values["yearly_volume"], values["online_volume"]
                if yearly is not None and online is not None and online > yearly:
                    message = f"オンライン件数（{online:,}）が年間処理件数（{yearly:,}）を超えています"
                    plan.errors.append(
                        {"row": record.row, "column": "うちオンライン件数", "message": message}
                    )

    # -- writing -----------------------------------------------------------------------------------
    def apply(self, plan: Plan, progress: Progress | None = None) -> None:
        planned = [p for p in plan.records if p.action != UNCHANGED]
        if not planned:
            return
        survey = self.survey or self._create_round()
        departments = self._touched_departments(plan)
        participations = [self._participation(survey, department_id) for department_id in sorted(departments)]
        total = len(planned)

        new = [p for p in planned if p.action == NEW]
        created = [self._new_procedure(p.record) for p in new]
        for start in range(0, len(created), BATCH):
            batch = created[start : start + BATCH]
            bulk_create_with_history(batch, Procedure, batch_size=BATCH, default_user=self.user)
            if progress:
                progress(start + len(batch), total * 2)
        procedures = {p.record.key: procedure for p, procedure in zip(new, created, strict=True)}

        updates, changed = [], set()
        for p in planned:
            if p.action == NEW:
                continue
            procedures[p.record.key] = p.existing
            names = {name for name in p.changes if name in PROCEDURE_FIELDS}
            if names:
                self._set_procedure(p.existing, p.record)
                updates.append(p.existing)
                changed |= names
        if updates:
            # Only the columns some row changes: a survey mostly changes answers, seldom the inventory.
            fields = {"applicants": APPLICANT_FLAGS, "unit_id": ("unit",)}
            columns = [column for name in sorted(changed) for column in fields.get(name, (name,))]
            bulk_update_with_history(
                updates, Procedure, columns, batch_size=UPDATE_BATCH, default_user=self.user
            )

        new_answers, changed_answers = [], []
        for p in planned:
            procedure = procedures[p.record.key]
            answer = self.answers.get(procedure.pk) if p.action != NEW else None
            unit_id = p.record.fields["unit_id"]
            values = {
                "unit_id": unit_id,
                "department_id": self.unit_info[unit_id][1],
                **self._answer_values(p.record, answer),
            }
            if answer is None:
                answer = ProcedureAnswer(round=survey, procedure=procedure)
                new_answers.append(answer)
            elif any(getattr(answer, name) != value for name, value in values.items()):
                changed_answers.append(answer)
            else:
                continue  # only the inventory changed: no new version of the answer
            for name, value in values.items():
                setattr(answer, name, value)
        for start in range(0, len(new_answers), BATCH):
            batch = new_answers[start : start + BATCH]
            bulk_create_with_history(batch, ProcedureAnswer, batch_size=BATCH, default_user=self.user)
            if progress:
                progress(total + start + len(batch), total * 2)
        if changed_answers:
            bulk_update_with_history(
                changed_answers,
                ProcedureAnswer,
                ["unit", "department", *ANSWER_FIELDS],
                batch_size=UPDATE_BATCH,
                default_user=self.user,
            )
        refresh_summaries(survey, departments)
        for participation in participations:
            rounds.mark_answering(participation)
        if progress:
            progress(total * 2, total * 2)

    def _create_round(self) -> SurveyRound:
        """Create the round the sheet names, open, after the newest earlier round of the body."""
        if self.create_round_in is None:
            raise RuntimeError("apply a plan with the importer that built it")
        year = fiscal_year_in(self.round_name or "") or fiscal.fiscal_year_of(timezone.localdate())
        previous = (
            SurveyRound.objects.filter(body_id=self.create_round_in, kind=KIND, fiscal_year__lt=year)
            .order_by("-fiscal_year", "-opened_at")
            .first()
        )
        survey = SurveyRound(
            body_id=self.create_round_in,
            kind=KIND,
            name=self.round_name,
            fiscal_year=year,
            fields=[name for name, _label in ProcedureRound.answer_fields],
            previous=previous,
        )
        survey._history_user = self.user
        survey.save()
        self.survey = survey
        return survey

    def _participation(self, survey: SurveyRound, department_id: int) -> RoundParticipation:
        if self.user is not None:
            return rounds.ensure_answerable(survey, department_id, self.user)
        # The command line acts for the office: it may correct a submitted answer, never a closed round.
        if not survey.is_open:
            raise rounds.RoundRefused(MSG_CLOSED.format(name=survey.name))
        return rounds.participation_for(survey, department_id)

    def _new_procedure(self, record: Record) -> Procedure:
        # bulk_create skips Procedure.save, which sets the body from the unit; the key holds it already.
        procedure = Procedure(
            body_id=record.key[0], unit_id=record.fields["unit_id"], name=record.fields["name"]
        )
        self._set_procedure(procedure, record)
        return procedure

    @staticmethod
    def _set_procedure(procedure: Procedure, record: Record) -> None:
        """Set the inventory fields the row gives."""
        for name in PROCEDURE_FIELDS:
            if name not in record.fields:
                continue
            if name == "applicants":
                for flag, value in zip(APPLICANT_FLAGS, record.fields[name], strict=True):
                    setattr(procedure, flag, value)
            else:
                setattr(procedure, name, record.fields[name])

    # -- export ------------------------------------------------------------------------------------
    def export_rows(self, queryset) -> Iterable[list]:
        """Return sheet rows for a queryset of ProcedureAnswer (a department's answers in a round), or of
        Procedure (the inventory, each with its answer in the newest round that has one)."""
        if queryset.model is Procedure:
            yield from self._inventory_rows(queryset)
            return
        answers = queryset.select_related("procedure", "unit", "department").order_by(
            "department__code", "procedure__code", "procedure__name", "pk"
        )
        for answer in answers.iterator(chunk_size=BATCH):
            yield self._row(answer.procedure, answer, answer.unit, answer.department)

    def _inventory_rows(self, procedures) -> Iterable[list]:
        latest: dict[int, ProcedureAnswer] = {}
        answers = ProcedureAnswer.objects.filter(procedure__in=procedures.values("pk")).order_by(
            "procedure_id", "round__fiscal_year", "round__opened_at"
        )
        for answer in answers.iterator(chunk_size=BATCH):
            latest[answer.procedure_id] = answer
        rows = procedures.select_related("unit", "unit__department").order_by("body_id", "code", "name", "pk")
        for procedure in rows.iterator(chunk_size=BATCH):
            yield self._row(procedure, latest.get(procedure.pk), procedure.unit, procedure.unit.department)

    def _row(self, procedure: Procedure, answer: ProcedureAnswer | None, unit, department) -> list:
        flags = tuple(getattr(procedure, flag) for flag in APPLICANT_FLAGS)
        row = {
            "code": procedure.code or None,
            "department": department.name if department is not None else None,
            "unit_name": unit.name,
            "unit_code": unit.code,
            "name": procedure.name,
            "legal_basis": procedure.legal_basis or None,
            "kind": KIND_WORD.get(procedure.kind),
            "applicants": self._applicants_word(flags, unit.body_id) or None,
            "has_attachments": YES if procedure.has_attachments else NO,
            "has_fee": YES if procedure.has_fee else NO,
        }
        if answer is not None:
            row.update(
                yearly_volume=answer.yearly_volume,
                online_volume=answer.online_volume,
                status=STATUS_WORD.get(answer.status),
                target_fy=fiscal.format_fiscal_year(answer.target_fy, "ja") or None,
                reasons="、".join(REASON_PHRASE.get(r, r) for r in answer.reasons) or None,
                note=answer.note or None,
            )
        return [row.get(column.key) for column in self.columns]

    def _applicants_word(self, flags: tuple[bool, bool, bool], body_id: int) -> str:
        if body_id not in self._residents:
            name = OrgUnit.objects.filter(pk=body_id).values_list("name", flat=True).first() or ""
            self._residents[body_id] = residents_word(name)
        words = (self._residents[body_id], "事業者", "市町村")
        return "・".join(word for word, flag in zip(words, flags, strict=True) if flag)
