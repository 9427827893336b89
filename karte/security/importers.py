"""Importing the security survey sheet (`karte import security-survey FILE`).

One row per system (情報システムのサイバー攻撃対策状況照会): whether it faces the internet, whether it is
enrolled in each of the three monitoring services, its own measures and why it needs no service. Rows find
their system by システムID within the body; an unknown ID creates the system (name and owning unit), shown
as new in the preview. For a system already on the karte the sheet changes only its protection: its name
and owner stay as the karte has them.

The survey is a census, so the sheet is the truth: an empty measures or reason cell means none, and
clears what was stored. Own-measure text is kept whole and sets the measure flags by key words; the
reason text is kept whole and must name one of the accepted reasons.

Without options the rows become each system's protection profile and `internet_facing`, confirmed by
the importing user today. With the `round` option (`--round NAME`) they become that open round's
answers instead, for the systems the user may change: a department imports its own sheet back. A closed
round refuses the sheet.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from karte.core import rounds
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
from karte.core.importing.normalize import to_code, to_text
from karte.core.importing.registry import register
from karte.core.models import OrgUnit, RoundParticipation, SurveyRound
from karte.core.scoping import CHANGE, scope_for
from karte.security.choices import Exemption, MonitoringService, OwnMeasure
from karte.security.models import (
    MEASURE_FIELDS,
    PROTECTION_FIELDS,
    SERVICE_FIELDS,
    ProtectionAnswer,
    ProtectionProfile,
)
from karte.security.rounds import SecurityRound
from karte.security.services_rounds import (
    SURVEYED_FIELDS,
    save_profiles,
    set_protection,
    surveyed_values,
)
from karte.systems.models import System

KIND = "security-survey"
BATCH = 2000
UPDATE_BATCH = 250

YES, NO = "有", "無"
ENROLLED, NOT_ENROLLED = "申込済", "無"
MARK_YES = frozenset(
    ("有", "有り", "あり", "申込済", "申込済み", "申込み済", "申込み済み", "○", "〇", "◯", "はい", "yes")
)
MARK_NO = frozenset(("無", "無し", "なし", "未申込", "×", "✕", "いいえ", "no"))

TRAFFIC, WEB_MALWARE, RESPONSE = (SERVICE_FIELDS[s][0] for s in MonitoringService)
MEASURES = "measures"
REASON = "exemption"
# Keys of the preview that are not columns.
PROFILE = "profile"
ANSWER = "answer"
CONFIRMED_ON = "confirmed_on"
UNIT_ERROR = "_unit_error"

# Key words of the own-measures text, compared after NFKC and upper-casing. Latin words must stand alone
# ("SOC", not the "SOC" inside "SOCKET").
_ALONE = r"(?<![A-Z]){}(?![A-Z])"
MEASURE_WORDS = [
    (re.compile(_ALONE.format("WAF")), OwnMeasure.WAF),
    (re.compile(_ALONE.format("(?:IPS|IDS)")), OwnMeasure.IPS_IDS),
    (re.compile(_ALONE.format("EDR")), OwnMeasure.EDR),
    (re.compile(_ALONE.format("SOC") + "|24時間|常時監視"), OwnMeasure.SOC_24H),
    (re.compile("クラウド|" + _ALONE.format("(?:CDN|DDOS)")), OwnMeasure.CDN_CLOUD),
]
MEASURE_SEPARATORS = re.compile(r"[、,，;；。\n・/／]|及び|および|並びに|ならびに")
# What a cell says to mean "none" when it is not simply empty.
NONE_WORDS = frozenset(("なし", "無", "無し", "特になし", "該当なし", "-", "ー", "―", "‐", "×"))
# The words written for each flag when the stored text does not name it (see _measures_text).
MEASURE_PHRASE = {
    OwnMeasure.WAF: "WAF",
    OwnMeasure.IPS_IDS: "IPS/IDS",
    OwnMeasure.EDR: "EDR",
    OwnMeasure.SOC_24H: "SOCによる24時間監視",
    OwnMeasure.CDN_CLOUD: "クラウド事業者の防御",
    OwnMeasure.OTHER: "その他の対策",
}

# The reason text, compared after NFKC and upper-casing: the first reason whose word it contains.
EXEMPTION_WORDS = [
    (("外部公開していない", "公開していない", "公開なし", "非公開"), Exemption.NOT_EXPOSED),
    (("国", "責任"), Exemption.NATIONAL),
    (("民間", "SNS", "サービス"), Exemption.PRIVATE_SERVICE),
]
EXEMPTION_PHRASE = {
    Exemption.NATIONAL: "国等が責任を有するシステム",
    Exemption.PRIVATE_SERVICE: "民間のサービスをそのまま利用",
    Exemption.NOT_EXPOSED: "外部公開していない",
}

MSG_MARK = (
    "「有」「無」（サービスは「申込済」「無」）で入力してください。"
    "「○」「×」「はい」「いいえ」「yes」「no」も使えます（「{value}」）"
)
MSG_REASON = (
    "申込みが不要な理由を読み取れません（「{value}」）。"
    "「国等が責任を有する」（国・国等・責任）、「民間のサービスをそのまま利用」（民間・SNS・サービス）、"
    "「外部公開していない」（外部公開していない・公開なし）のいずれかがわかるように入力してください"
)
MSG_CLOSED = (
    "照会「{name}」は締め切られています。締め切った照会は確定した記録のため、取り込みでは変更できません。"
)
MSG_NO_ROUND = "セキュリティ対策状況の照会「{name}」はありません。"
MSG_BODIES = "複数の団体のシステムが含まれています。団体ごとに取り込んでください。"
MSG_TAKEN = "システムID「{code}」は、登録できる範囲の外のシステムで使われています"
MSG_NO_DEPARTMENT = "所管課「{unit}」は部局に属していないため、照会に回答を追加できません"

SHOWN_MAX = 30


def _key(value: object) -> str:
    return "".join(unicodedata.normalize("NFKC", str(value)).split()).upper()


def _shown(value: object) -> str:
    text = to_text(value)
    return text if len(text) <= SHOWN_MAX else text[:SHOWN_MAX] + "…"


def _full_text(value: object) -> str:
    """Return a free-text cell as written, line breaks kept, stripped."""
    return "\n".join(line.strip() for line in str(value).replace("\r\n", "\n").split("\n")).strip()


def to_mark(v: object) -> bool | None:
    """Return True for 有／申込済／○／はい／yes, False for 無／×／いいえ／no, None when blank."""
    if v is None or isinstance(v, bool):
        return v
    key = _key(v).lower()
    if not key:
        return None
    if key in MARK_YES:
        return True
    if key in MARK_NO:
        return False
    raise ValueError(MSG_MARK.format(value=_shown(v)))


def to_measures(v: object) -> tuple[tuple[str, ...], str]:
    """Return (the own measures the text names, the text) for an 独自のサイバー攻撃対策 cell.

    Each phrase names measures by key word; a phrase that names none is another measure. Empty, or a
    word such as なし, is no measure at all.
    """
    if v is None:
        return (), ""
    text = _full_text(v)
    if _key(text).rstrip("。") in NONE_WORDS or not _key(text):
        return (), ""
    found: list[str] = []
    for phrase in MEASURE_SEPARATORS.split(_key(text)):
        if not phrase or phrase in NONE_WORDS:
            continue
        named = [str(measure) for pattern, measure in MEASURE_WORDS if pattern.search(phrase)]
        for measure in named or [str(OwnMeasure.OTHER)]:
            if measure not in found:
                found.append(measure)
    return tuple(m for m in MEASURE_FIELDS if m in found), text


def to_exemption(v: object) -> tuple[str, str]:
    """Return (the Exemption the text names, the text) for a 申込みが不要な理由 cell; ("", "") when empty."""
    if v is None:
        return "", ""
    text = _full_text(v)
    key = _key(text).rstrip("。")
    if not key or key in NONE_WORDS:
        return "", ""
    if text in Exemption.values:
        return text, text
    for words, exemption in EXEMPTION_WORDS:
        if any(word in key for word in words):
            return str(exemption), text
    raise ValueError(MSG_REASON.format(value=_shown(v)))


@register
class SecuritySurveyImporter(Importer):
    kind = KIND
    label = _("Security measures survey")
    export_filename = "security-survey"
    columns = [
        Column(
            "code",
            "システムID",
            ("システムコード", "システム番号", "ID", "system ID"),
            required=True,
            parse=to_code,
        ),
        Column("name", "システム名", ("システム名称", "名称", "system name"), required=True),
        Column("unit_name", "所管課", ("所管所属", "所属名", "担当課", "所管課室", "所属")),
        Column(
            "internet_facing",
            "外部公開",
            ("インターネット公開", "外部公開の有無"),
            required=True,
            parse=to_mark,
        ),
        Column(
            TRAFFIC,
            "サイバー攻撃検知通報事業",
            ("サイバー攻撃検知通報", "検知通報事業"),
            required=True,
            parse=to_mark,
        ),
        Column(
            WEB_MALWARE,
            "ウェブ感染型マルウェア検知事業",
            ("ウェブ感染型マルウェア検知", "マルウェア検知事業"),
            required=True,
            parse=to_mark,
        ),
        Column(
            RESPONSE,
            "ホームページレスポンス観測事業",
            ("ホームページレスポンス観測", "レスポンス観測事業"),
            required=True,
            parse=to_mark,
        ),
        Column(
            MEASURES,
            "独自のサイバー攻撃対策",
            ("独自の対策", "独自対策", "独自のセキュリティ対策"),
            parse=to_measures,
        ),
        Column(
            REASON,
            "申込みが不要な理由",
            ("申込不要の理由", "申込みをしない理由", "不要な理由"),
            parse=to_exemption,
        ),
        Column("department", "部局名", ("部局", "部局等", "部名")),
        Column("unit_code", "所属コード", ("所管課コード", "課コード"), parse=to_code),
    ]

    options = ("round",)
    # Without a round the sheet updates the current profiles: the office loads a survey done outside Karte.
    round_optional = True

    def __init__(self, user, round: str | None = None):
        super().__init__(user)
        self.round_name = (round or "").strip() or None
        self.today = timezone.localdate()
        self._units: AssignableUnits | None = None
        self._code_bodies: dict[str, set[int]] | None = None
        self.survey: SurveyRound | None = None
        self.round_error = ""
        self.profiles: dict[int, ProtectionProfile] = {}
        self.answers: dict[int, ProtectionAnswer] = {}
        self.unit_info: dict[int, tuple[str, int | None]] = {}

    @property
    def units(self) -> AssignableUnits:
        # Built on first use: the import pages instantiate every importer just to ask permitted().
        if self._units is None:
            self._units = AssignableUnits(self.user)
        return self._units

    @property
    def into_round(self) -> bool:
        return self.round_name is not None

    def permitted(self) -> bool:
        return self.user is None or scope_for(self.user).may_write

    # -- reading rows ------------------------------------------------------------------------------
    def records_from_row(self, values: dict[str, Any]) -> list[Record]:
        code = values["code"]
        fields: dict[str, Any] = {"name": values["name"]}
        try:
            unit = self.units.find(values["unit_code"], values["unit_name"], values["department"])
        except RowError as unknown:
            # Only a new system needs its owner: an ID already on the karte keeps the karte's owner.
            body_id = self._body_without_unit(code)
            if body_id is None:
                raise
            fields[UNIT_ERROR] = (str(unknown), unknown.column)
        else:
            body_id = unit.body_id
            fields["unit_id"] = unit.pk
        measures, description = values[MEASURES]
        exemption, note = values[REASON]
        fields.update(
            {
                "internet_facing": values["internet_facing"],
                TRAFFIC: values[TRAFFIC],
                WEB_MALWARE: values[WEB_MALWARE],
                RESPONSE: values[RESPONSE],
                **{name: name in measures for name in MEASURE_FIELDS},
                "measures_description": description,
                "exemption": exemption,
                "exemption_note": note,
            }
        )
        return [Record((body_id, code), fields, 0)]

    def _body_without_unit(self, code: str) -> int | None:
        """Return the body of a row with an unknown unit: the user's, or the one of the system with its ID."""
        scope = scope_for(self.user) if self.user is not None else None
        if scope is not None and not scope.everything:
            return scope.body_id
        if self._code_bodies is None:
            self._code_bodies = {}
            for body_id, known in System.objects.values_list("body_id", "code"):
                self._code_bodies.setdefault(known, set()).add(body_id)
        bodies = self._code_bodies.get(code, set())
        return next(iter(bodies)) if len(bodies) == 1 else None

    def describe(self, record: Record) -> str:
        return f"{record.key[1]} {record.fields.get('name', '')}"

    def field_label(self, name: str) -> str:
        labels = {
            "unit_id": "所管課",
            **{measure.value: f"独自の対策（{MEASURE_PHRASE[measure]}）" for measure in OwnMeasure},
            "measures_description": "独自のサイバー攻撃対策",
            "exemption_note": "申込みが不要な理由（記載）",
            PROFILE: "対策状況",
            CONFIRMED_ON: "確認日",
            ANSWER: f"照会「{self.round_name or ''}」の回答",
        }
        return labels.get(name) or super().field_label(name)

    # -- comparing with the database ---------------------------------------------------------------
    def existing(self, records: list[Record]) -> dict[Hashable, System]:
        bodies = {r.key[0] for r in records}
        if self.into_round:
            self._find_round(bodies)
        codes = [r.key[1] for r in records]
        found: dict[Hashable, System] = {}
        for start in range(0, len(codes), BATCH):
            systems = System.objects.filter(body_id__in=bodies, code__in=codes[start : start + BATCH])
            if self.user is not None:
                systems = systems.restrict(self.user, CHANGE)
            # Whole rows: the history written on update copies every field.
            for system in systems.select_related("unit"):
                found[(system.body_id, system.code)] = system
        keys = {system.pk: key for key, system in found.items()}
        ids = list(keys)
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            if self.survey is not None:
                answers = ProtectionAnswer.objects.filter(round=self.survey, system_id__in=chunk)
                if self.user is not None:
                    # The answer stays with the department that had the system when the round opened: a
                    # system moved since is not this user's to answer for, as on the answers page.
                    answers = answers.annotate(
                        changeable=Exists(
                            ProtectionAnswer.objects.restrict(self.user, CHANGE).filter(pk=OuterRef("pk"))
                        )
                    )
                for answer in answers:
                    if getattr(answer, "changeable", True):
                        self.answers[answer.system_id] = answer
                    else:
                        del found[keys[answer.system_id]]
            elif not self.into_round:
                for profile in ProtectionProfile.objects.filter(system_id__in=chunk):
                    self.profiles[profile.system_id] = profile
        units = {r.fields["unit_id"] for r in records if "unit_id" in r.fields}
        units |= {s.unit_id for s in found.values()} | {a.unit_id for a in self.answers.values()}
        self.unit_info = {
            pk: (name, department_id)
            for pk, name, department_id in OrgUnit.objects.filter(pk__in=units).values_list(
                "pk", "name", "department_id"
            )
        }
        return found

    def _find_round(self, bodies: set[int]) -> None:
        """Find the round the sheet answers in the user's body (the command line: the sheet's body)."""
        self.survey, self.round_error = None, ""
        scope = scope_for(self.user) if self.user is not None else None
        if scope is not None and not scope.everything:
            bodies = {scope.body_id} if bodies else set()
        if not bodies:
            return
        if len(bodies) > 1:
            self.round_error = MSG_BODIES
            return
        self.survey = SurveyRound.objects.filter(
            body_id=next(iter(bodies)), kind=SecurityRound.kind, name=self.round_name
        ).first()
        if self.survey is None:
            self.round_error = MSG_NO_ROUND.format(name=self.round_name)

    def _before(self, system: System) -> tuple[dict, bool, str | None]:
        """Return (surveyed values, internet-facing, what is missing) as stored for the system."""
        if self.into_round:
            answer = self.answers.get(system.pk)
            if answer is None:
                return surveyed_values(None), False, ANSWER
            return surveyed_values(answer), answer.internet_facing, None
        profile = self.profiles.get(system.pk)
        return surveyed_values(profile), system.internet_facing, PROFILE if profile is None else None

    def changes(self, record: Record, instance: System) -> dict[str, tuple[Any, Any]]:
        values, internet_facing, missing = self._before(instance)
        changed: dict[str, tuple[Any, Any]] = {}
        if missing:
            changed[missing] = ("", "追加")
        if internet_facing != record.fields["internet_facing"]:
            changed["internet_facing"] = (
                self._shown("internet_facing", internet_facing),
                self._shown("internet_facing", record.fields["internet_facing"]),
            )
        for name in SURVEYED_FIELDS:
            if values[name] != record.fields[name]:
                changed[name] = (self._shown(name, values[name]), self._shown(name, record.fields[name]))
        profile = self.profiles.get(instance.pk)
        if profile is not None and profile.confirmed_on != self.today:
            # The census confirms every profile it names, unchanged ones too.
            changed[CONFIRMED_ON] = (profile.confirmed_on, self.today)
        return changed

    @staticmethod
    def _shown(name: str, value: Any) -> Any:
        if name == "internet_facing":
            return YES if value else NO
        if name in (TRAFFIC, WEB_MALWARE, RESPONSE):
            return ENROLLED if value else NOT_ENROLLED
        if name in MEASURE_FIELDS:
            return "○" if value else "×"
        if name == "exemption":
            return EXEMPTION_PHRASE.get(value, value) or None
        return value or None

    def check_plan(self, plan: Plan) -> None:
        """Refuse a sheet whose round is closed, unknown or locked, and new systems that cannot be made."""
        if not plan.records:
            return
        if self.into_round:
            if self.round_error:
                plan.errors.append({"row": 0, "column": "", "message": self.round_error})
                return
            if self.survey is not None and not self.survey.is_open:
                plan.errors.append(
                    {"row": 0, "column": "", "message": MSG_CLOSED.format(name=self.survey.name)}
                )
                return
            self._check_participations(plan)
        self._check_records(plan)

    def _check_records(self, plan: Plan) -> None:
        new = [p.record for p in plan.records if p.action == NEW]
        taken: set[tuple[int, str]] = set()
        if new:
            # Systems the user may not change (another department's) are not in existing(): ID taken.
            taken = set(
                System.objects.filter(
                    body_id__in={r.key[0] for r in new}, code__in=[r.key[1] for r in new]
                ).values_list("body_id", "code")
            )
        for record in new:
            if record.key in taken:
                plan.errors.append(
                    {
                        "row": record.row,
                        "column": self.field_label("code"),
                        "message": MSG_TAKEN.format(code=record.key[1]),
                    }
                )
            elif UNIT_ERROR in record.fields:
                message, column = record.fields[UNIT_ERROR]
                plan.errors.append(
                    {"row": record.row, "column": self.field_label(column), "message": message}
                )
        if not self.into_round:
            return
        for planned in plan.records:
            if planned.action == UNCHANGED or UNIT_ERROR in planned.record.fields:
                continue
            if self._department_of(planned) is None:
                unit_id = planned.existing.unit_id if planned.existing else planned.record.fields["unit_id"]
                message = MSG_NO_DEPARTMENT.format(unit=self.unit_info[unit_id][0])
                plan.errors.append({"row": planned.record.row, "column": "所管課", "message": message})

    def _department_of(self, planned) -> int | None:
        if planned.existing is not None:
            answer = self.answers.get(planned.existing.pk)
            if answer is not None:
                return answer.department_id
            return self.unit_info[planned.existing.unit_id][1]
        unit_id = planned.record.fields.get("unit_id")
        return self.unit_info[unit_id][1] if unit_id in self.unit_info else None

    def _touched_departments(self, plan: Plan) -> set[int]:
        departments = {self._department_of(p) for p in plan.records if p.action != UNCHANGED}
        departments.discard(None)
        return departments

    def _check_participations(self, plan: Plan) -> None:
        """A department that has submitted is locked until the office sends its answer back."""
        if self.survey is None or self.user is None:
            return
        plan.errors.extend(rounds.sheet_refusals(self.survey, self._touched_departments(plan), self.user))

    # -- writing -----------------------------------------------------------------------------------
    def apply(self, plan: Plan, progress: Progress | None = None) -> None:
        planned = [p for p in plan.records if p.action != UNCHANGED]
        if not planned:
            return
        participations = []
        if self.into_round:
            if self.survey is None:
                raise RuntimeError("apply a plan with the importer that built it")
            participations = [
                self._participation(department_id)
                for department_id in sorted(self._touched_departments(plan))
            ]
        new = [p for p in planned if p.action == NEW]
        created = [self._new_system(p.record) for p in new]
        for start in range(0, len(created), BATCH):
            bulk_create_with_history(
                created[start : start + BATCH], System, batch_size=BATCH, default_user=self.user
            )
        systems = {p.record.key: system for p, system in zip(new, created, strict=True)}
        systems.update({p.record.key: p.existing for p in planned if p.action != NEW})
        if self.into_round:
            self._apply_answers(planned, systems)
            for participation in participations:
                rounds.mark_answering(participation)
        else:
            self._apply_profiles(planned, systems)
        if progress:
            progress(len(planned), len(planned))

    def _new_system(self, record: Record) -> System:
        body_id, code = record.key
        # bulk_create skips System.save, which sets the body from the unit; the key holds it already.
        system = System(
            body_id=body_id, code=code, name=record.fields["name"], unit_id=record.fields["unit_id"]
        )
        if not self.into_round:
            system.internet_facing = record.fields["internet_facing"]
        return system

    def _apply_profiles(self, planned, systems: dict[Hashable, System]) -> None:
        created, updated, facing = [], [], []
        for p in planned:
            system = systems[p.record.key]
            profile = self.profiles.get(system.pk)
            if profile is None:
                profile = ProtectionProfile(system=system)
                created.append(profile)
            else:
                updated.append(profile)
            set_protection(profile, p.record.fields)
            profile.confirmed_by = self.user
            profile.confirmed_on = self.today
            if p.action != NEW and system.internet_facing != p.record.fields["internet_facing"]:
                system.internet_facing = p.record.fields["internet_facing"]
                facing.append(system)
        save_profiles(created, updated, self.user)
        if facing:
            bulk_update_with_history(
                facing, System, ["internet_facing"], batch_size=UPDATE_BATCH, default_user=self.user
            )

    def _apply_answers(self, planned, systems: dict[Hashable, System]) -> None:
        created, updated = [], []
        for p in planned:
            system = systems[p.record.key]
            answer = self.answers.get(system.pk)
            if answer is None:
                answer = ProtectionAnswer(
                    round=self.survey,
                    system=system,
                    unit_id=system.unit_id,
                    department_id=self.unit_info[system.unit_id][1],
                )
                created.append(answer)
            else:
                updated.append(answer)
            answer.internet_facing = p.record.fields["internet_facing"]
            set_protection(answer, p.record.fields)
            answer.answered_by = self.user
            answer.answered_on = self.today
        for start in range(0, len(created), BATCH):
            bulk_create_with_history(
                created[start : start + BATCH], ProtectionAnswer, batch_size=BATCH, default_user=self.user
            )
        if updated:
            bulk_update_with_history(
                updated,
                ProtectionAnswer,
                ["internet_facing", *PROTECTION_FIELDS, "answered_by", "answered_on"],
                batch_size=UPDATE_BATCH,
                default_user=self.user,
            )

    def _participation(self, department_id: int) -> RoundParticipation:
        if self.user is not None:
            return rounds.ensure_answerable(self.survey, department_id, self.user)
        # The command line acts for the office: it may correct a submitted answer, never a closed round.
        if not self.survey.is_open:
            raise rounds.RoundRefused(MSG_CLOSED.format(name=self.survey.name))
        return rounds.participation_for(self.survey, department_id)

    # -- export ------------------------------------------------------------------------------------
    def export_rows(self, queryset) -> Iterable[list]:
        """Return sheet rows for a queryset of ProtectionAnswer (a round's answers) or of System (each with
        its current profile), in the columns the importer reads back."""
        if queryset.model is System:
            systems = queryset.select_related("unit", "unit__department", "protection").order_by(
                "body_id", "code"
            )
            for system in systems.iterator(chunk_size=BATCH):
                profile = getattr(system, "protection", None)
                yield self._row(system, profile, system.internet_facing, system.unit)
            return
        answers = queryset.select_related("system", "unit", "unit__department").order_by(
            "department__code", "system__code", "pk"
        )
        for answer in answers.iterator(chunk_size=BATCH):
            yield self._row(answer.system, answer, answer.internet_facing, answer.unit)

    def _row(self, system: System, protection, internet_facing: bool, unit: OrgUnit) -> list:
        values = surveyed_values(protection)
        row = {
            "code": system.code,
            "name": system.name,
            "unit_name": unit.name,
            "internet_facing": YES if internet_facing else NO,
            **{flag: ENROLLED if values[flag] else NOT_ENROLLED for flag in (TRAFFIC, WEB_MALWARE, RESPONSE)},
            MEASURES: measures_text(values) or None,
            REASON: exemption_text(values) or None,
            "department": unit.department.name if unit.department_id else None,
            "unit_code": unit.code,
        }
        return [row[column.key] for column in self.columns]


def measures_text(values: dict) -> str:
    """Return the own-measures cell for stored values: the stored text when it names exactly the stored
    measures, else the measures' words, so that importing the sheet back sets the same flags."""
    flags = tuple(name for name in MEASURE_FIELDS if values[name])
    text = values["measures_description"]
    if to_measures(text or None)[0] == flags:
        return text
    return "、".join(MEASURE_PHRASE[OwnMeasure(name)] for name in flags)


def exemption_text(values: dict) -> str:
    """Return the reason cell for stored values: the stored note when it names the stored reason."""
    exemption, note = values["exemption"], values["exemption_note"]
    if not exemption:
        return ""
    try:
        if to_exemption(note or None)[0] == exemption:
            return note
    except ValueError:
        pass
    return EXEMPTION_PHRASE[Exemption(exemption)]
