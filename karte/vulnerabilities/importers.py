"""Importing vulnerability findings: Karte's own sheet, and the CSV exports of common scanners.

`vulnerabilities` (脆弱性診断結果シート) is Karte's own sheet, the same columns as the list's export: a row
names its system by システムID and its host by IP address and/or host name; a host the system does not
have yet is registered with the finding. A row finds its finding by 指摘ID when it has one (an exported
sheet), else by system, host and 指摘事項. As in the other sheets, an empty cell leaves the stored value
as it is; an empty 深刻度 follows the CVSS score and an empty 対応期限 follows the severity.

`scanner-csv` reads the results CSV of OpenVAS / Greenbone (IP, NVT OID, …) or Nessus / Tenable
(Host, Plugin ID, …): the header tells which. Each row is matched to a registered host (by IP, else host
name) of a system the user may change; a host nobody registered is a row error. Findings are one per host,
plugin and port: the rows Nessus writes per CVE of a plugin make one finding with every CVE. Informational
rows (Nessus Risk "None", OpenVAS "Log") are skipped. Importing the same scan again changes nothing, and a
finding missing from a later scan is left open: only people close findings.
"""

from __future__ import annotations

import copy
import ipaddress
import unicodedata
from collections import defaultdict
from collections.abc import Hashable, Iterable
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from karte.core.importing.base import (
    NEW,
    Column,
    Importer,
    Plan,
    Progress,
    Record,
    RowError,
)
from karte.core.importing.normalize import text_within, to_code, to_date, to_decimal, to_int, to_text
from karte.core.importing.registry import register
from karte.core.scoping import CHANGE, scope_for
from karte.systems.models import System
from karte.vulnerabilities.choices import SEVERITY_WORDS, SHEET_SEVERITY, SHEET_STATUS
from karte.vulnerabilities.models import HOSTNAME, Finding, Host, join_cves, normalize_hostname, split_cves
from karte.vulnerabilities.services import clear_derived, derive

BATCH = 1000
SHEET_SOURCE = "シート"
# Fields a finding row may change, in the order the preview lists them.
TRACKED = (
    "host_id",
    "title",
    "cve",
    "cvss",
    "severity",
    "found_on",
    "remediation_plan",
    "due_on",
    "fixed_on",
    "source",
    "port",
    "description",
)
FIELD_LABELS = {
    "host_id": "ホスト",
    "title": "指摘事項",
    "cve": "CVE",
    "cvss": "CVSS",
    "severity": "深刻度",
    "found_on": "発見日",
    "remediation_plan": "対応方針",
    "due_on": "対応期限",
    "fixed_on": "対応完了日",
    "source": "診断元",
    "port": "ポート",
    "description": "概要",
}
MSG_CVSS = "CVSS は 0.0〜10.0 の数値で入力してください（「{value}」）"
MSG_IP = "IPアドレスとして読み取れません（「{value}」）"
MSG_HOSTNAME = "ホスト名には英数字・ハイフン・ドットだけを使ってください（「{value}」）"
MSG_SEVERITY = "深刻度は「緊急」「高」「中」「低」「なし」のいずれかで入力してください（「{value}」）"
MSG_CVE = "CVE番号として読み取れません: {ids}（「CVE-2024-12345」の形で、カンマ区切りで入力してください）"
MSG_UNKNOWN_HOST = (
    "ホスト「{host}」は登録されていません（または変更できる範囲のシステムのホストではありません）。"
    "先にシステムのカルテでホストを登録してください"
)
MSG_FINDING_ID = "指摘ID「{id}」は存在しないか、変更できる範囲の指摘ではありません"
# The largest primary key a database stores: a larger 指摘ID cannot even be looked up.
MAX_ID = 2**63 - 1
MSG_AMBIGUOUS_HOST = (
    "ホスト「{host}」は複数のシステム（{systems}）に登録されているため、どのシステムの指摘か判別できません。"
    "システムのカルテでホスト名も登録してください"
)


# --- cell parsers -----------------------------------------------------------------------------------
def to_cvss(v: object) -> Decimal | None:
    try:
        score = to_decimal(v)
    except ValueError:
        raise ValueError(MSG_CVSS.format(value=v)) from None
    if score is None:
        return None
    if not Decimal(0) <= score <= Decimal(10):
        raise ValueError(MSG_CVSS.format(value=v))
    return score.quantize(Decimal("0.1"))


def to_ip(v: object) -> str | None:
    text = to_code(v)
    if not text:
        return None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise ValueError(MSG_IP.format(value=text)) from None


def to_hostname(v: object) -> str:
    name = normalize_hostname(to_text(v))
    if name and not HOSTNAME.fullmatch(name):
        raise ValueError(MSG_HOSTNAME.format(value=name))
    return name


def severity_word(v: object) -> str | None:
    """Return the severity a word names (緊急, High, …), None when blank or not a severity."""
    key = unicodedata.normalize("NFKC", to_text(v)).lower()
    return SEVERITY_WORDS.get(key)


def to_severity(v: object) -> str | None:
    text = to_text(v)
    if not text or text in ("-", "―", "ー"):
        return None
    severity = severity_word(text)
    if severity is None:
        raise ValueError(MSG_SEVERITY.format(value=text))
    return severity


def to_cve(v: object) -> str:
    ids, bad = split_cves(to_text(v))
    if bad:
        raise ValueError(MSG_CVE.format(ids="、".join(bad[:5])))
    return join_cves(ids)


def is_ip(text: str | None) -> bool:
    try:
        ipaddress.ip_address(text or "")
    except ValueError:
        return False
    return True


def shown(name: str, value: Any) -> Any:
    """Return a field's value as the preview shows it."""
    if name == "severity":
        return SHEET_SEVERITY.get(value, value)
    if isinstance(value, Decimal):
        return f"{value:.1f}"
    return value


class FindingImporter(Importer):
    """What both importers share: the user's reach, the comparison and the writing of findings."""

    def permitted(self) -> bool:
        return self.user is None or scope_for(self.user).may_write

    def changeable(self, model):
        objects = model.objects.all()
        return objects if self.user is None else objects.restrict(self.user, CHANGE)

    def field_label(self, name: str) -> str:
        return FIELD_LABELS.get(name) or super().field_label(name)

    def tracked_changes(self, instance: Finding, updated: Finding) -> dict[str, tuple[Any, Any]]:
        changed = {}
        for name in TRACKED:
            old, new = getattr(instance, name), getattr(updated, name)
            if old != new:
                if name == "host_id":
                    old = self.host_label(old)
                    new = self.host_label(new)
                changed[name] = (shown(name, old), shown(name, new))
        return changed

    def host_label(self, host_id) -> str | None:
        if host_id is None:
            return None
        host = self.hosts_by_id.get(host_id)
        return host.label if host else str(host_id)

    def write_findings(self, new: list[Finding], updated: list[Finding], progress: Progress | None) -> None:
        total = len(new) + len(updated)
        for start in range(0, len(new), BATCH):
            batch = new[start : start + BATCH]
            bulk_create_with_history(batch, Finding, batch_size=BATCH, default_user=self.user)
            if progress:
                progress(start + len(batch), total)
        if updated:
            fields = [*TRACKED, "severity_given", "due_given"]
            bulk_update_with_history(updated, Finding, fields, batch_size=BATCH, default_user=self.user)
        if progress:
            progress(total, total)


# --- Karte's own sheet ------------------------------------------------------------------------------
@register
class VulnerabilitySheetImporter(FindingImporter):
    kind = "vulnerabilities"
    label = _("Vulnerability findings")
    export_filename = "vulnerability_findings"
    columns = [
        Column("finding_id", "指摘ID", ("ID", "No."), parse=to_int),
        Column("code", "システムID", ("システムコード", "システム番号"), required=True, parse=to_code),
        Column("ip", "ホスト(IP)", ("IPアドレス", "IP", "ホストIP"), parse=to_ip),
        Column("hostname", "ホスト名", ("ホスト", "FQDN"), parse=to_hostname),
        Column(
            "title",
            "指摘事項",
            ("指摘内容", "脆弱性", "脆弱性名", "件名"),
            required=True,
            parse=text_within(Finding._meta.get_field("title").max_length),
        ),
        Column("cve", "CVE", ("CVE番号", "CVE-ID"), parse=to_cve),
        Column("cvss", "CVSS", ("CVSSスコア", "CVSS値", "CVSS v3", "CVSSv3"), parse=to_cvss),
        Column("severity", "深刻度", ("重要度", "危険度", "リスク"), parse=to_severity),
        Column("found_on", "発見日", ("検出日", "診断日"), required=True, parse=to_date),
        Column("remediation_plan", "対応方針", ("対応策", "対策", "対応内容")),
        Column("due_on", "対応期限", ("期限", "対応予定日"), parse=to_date),
        Column("fixed_on", "対応完了日", ("完了日", "対応日", "修正日"), parse=to_date),
        Column(
            "source",
            "診断元",
            ("出典", "診断名"),
            parse=text_within(Finding._meta.get_field("source").max_length),
        ),
        # Written on export for the reader; an import does not read them.
        Column("department", "部局名", ("部局",)),
        Column("status", "状態", ()),
    ]

    def __init__(self, user):
        super().__init__(user)
        self.systems: dict[str, list[System]] | None = None
        self.updated: dict[Hashable, Finding] = {}
        self.ambiguous: dict[Hashable, int] = {}
        self.hosts_by_id: dict[int, Host] = {}
        self.hosts: dict[tuple, Host] = {}
        # New host records whose host name an existing host of the system has, under another address.
        self.moved_ip: dict[tuple, Host] = {}

    def _systems(self) -> dict[str, list[System]]:
        if self.systems is None:
            self.systems = defaultdict(list)
            for system in self.changeable(System).only("pk", "code", "body_id"):
                self.systems[system.code].append(system)
        return self.systems

    # -- reading rows ------------------------------------------------------------------------------
    def records_from_row(self, values: dict[str, Any]) -> list[Record]:
        code = values["code"]
        found = self._systems().get(code, [])
        if not found:
            raise RowError(
                f"システムID「{code}」は登録されていないか、変更できる範囲のシステムではありません", "code"
            )
        if len(found) > 1:
            raise RowError(f"システムID「{code}」は複数の団体のシステムに該当します", "code")
        system = found[0]
        finding_id = values["finding_id"]
        if finding_id is not None and not 0 < finding_id <= MAX_ID:
            raise RowError(MSG_FINDING_ID.format(id=finding_id), "finding_id")
        if values["cvss"] is None and values["severity"] is None:
            raise RowError("CVSS または深刻度を入力してください", "cvss")
        found_on, fixed_on = values["found_on"], values["fixed_on"]
        if fixed_on is not None and fixed_on < found_on:
            raise RowError("対応完了日が発見日より前です", "fixed_on")

        records = []
        ip, hostname = values["ip"], values["hostname"]
        host_ref = None
        if ip or hostname:
            host_ref = ("host", system.pk, f"ip:{ip}" if ip else f"name:{hostname}")
            host_fields = {"system_id": system.pk, "ip": ip} if ip else {"system_id": system.pk}
            if hostname:
                host_fields["hostname"] = hostname
            records.append(Record(host_ref, host_fields, 0, kind="host"))

        fields: dict[str, Any] = {"system_id": system.pk, "host_ref": host_ref, "title": values["title"]}
        for name in (
            "cve",
            "cvss",
            "severity",
            "found_on",
            "remediation_plan",
            "due_on",
            "fixed_on",
            "source",
        ):
            value = values[name]
            if value is not None and value != "":
                fields[name] = value
        if finding_id is not None:
            key = ("finding", finding_id)
        else:
            key = ("finding", system.pk, host_ref, values["title"])
        records.append(Record(key, fields, 0, kind="finding"))
        return records

    def describe(self, record: Record) -> str:
        if record.kind == "host":
            fields = record.fields
            return "ホスト " + " ".join(filter(None, (fields.get("hostname"), fields.get("ip"))))
        return record.fields["title"]

    # -- comparing with the database ---------------------------------------------------------------
    def existing(self, records: list[Record]) -> dict[Hashable, Any]:
        system_ids = {r.fields["system_id"] for r in records}
        for host in Host.objects.filter(system_id__in=system_ids):
            self.hosts_by_id[host.pk] = host
            if host.ip:
                self.hosts[("host", host.system_id, f"ip:{host.ip}")] = host
            if host.hostname:
                self.hosts[("host", host.system_id, f"name:{host.hostname}")] = host
        found: dict[Hashable, Any] = {}
        for record in records:
            if record.kind == "host":
                host = self.hosts.get(record.key)
                if host is None and "hostname" in record.fields:
                    # An IP the system does not have, on a host name it has: that host, with a new address.
                    host = self.hosts.get(("host", record.key[1], f"name:{record.fields['hostname']}"))
                    if host is not None:
                        self.moved_ip[record.key] = host
                        host = None
                if host is not None:
                    found[record.key] = host

        ids = [r.key[1] for r in records if r.kind == "finding" and len(r.key) == 2]
        changeable = self.changeable(Finding)
        by_id = changeable.in_bulk(ids) if ids else {}
        unkeyed = [r for r in records if r.kind == "finding" and len(r.key) != 2]
        by_title: dict[tuple, list[Finding]] = defaultdict(list)
        if unkeyed:
            for finding in changeable.filter(system_id__in={r.fields["system_id"] for r in unkeyed}):
                by_title[(finding.system_id, finding.host_id, finding.title)].append(finding)
        for record in records:
            if record.kind != "finding":
                continue
            if len(record.key) == 2:
                instance = by_id.get(record.key[1])
            else:
                host = self.hosts.get(record.fields["host_ref"]) if record.fields["host_ref"] else None
                if record.fields["host_ref"] and host is None:
                    continue  # a new host has no findings yet
                matches = by_title.get(
                    (record.fields["system_id"], host.pk if host else None, record.fields["title"])
                )
                if not matches:
                    continue
                if len(matches) > 1:
                    self.ambiguous[record.key] = len(matches)
                instance = matches[0]
            if instance is not None:
                found[record.key] = instance
        return found

    def changes(self, record: Record, instance: Any) -> dict[str, tuple[Any, Any]]:
        if record.kind == "host":
            return {}  # hosts are changed on screen; the sheet only registers new ones
        updated = self._updated(record, copy.copy(instance))
        self.updated[record.key] = updated
        return self.tracked_changes(instance, updated)

    def _updated(self, record: Record, finding: Finding) -> Finding:
        """Return `finding` with what the record says, derived fields worked out again."""
        clear_derived(finding)
        fields = record.fields
        for name in (
            "title",
            "cve",
            "cvss",
            "severity",
            "found_on",
            "remediation_plan",
            "due_on",
            "fixed_on",
            "source",
        ):
            if name in fields:
                setattr(finding, name, fields[name])
        host_ref = fields["host_ref"]
        if host_ref is not None:
            host = self.hosts.get(host_ref)
            finding.host_id = host.pk if host else None
            if host is None:
                finding.host_id = ("new", host_ref)  # shown as a new host; set on apply
        return derive(finding)

    def host_label(self, host_id) -> str | None:
        if isinstance(host_id, tuple):
            return host_id[1][2].split(":", 1)[1] + "（新規）"
        return super().host_label(host_id)

    def check_plan(self, plan: Plan) -> None:
        new_hosts: dict[tuple, Record] = {}
        for planned in plan.records:
            record = planned.record
            if record.kind == "host" and planned.action == NEW:
                new_hosts[record.key] = record
        names: dict[tuple[int, str], Record] = {}
        for key, record in new_hosts.items():
            moved = self.moved_ip.get(key)
            hostname = record.fields.get("hostname")
            if moved is not None:
                self._error(
                    plan,
                    record,
                    f"ホスト名「{hostname}」は IP「{moved.ip or 'なし'}」のホストとして登録されています。"
                    "IPアドレスが変わったときはカルテでホストを直してください",
                    "ip",
                )
            elif hostname:
                name_key = (record.fields["system_id"], hostname)
                earlier = names.get(name_key)
                if earlier is not None and earlier.key != key:
                    self._error(
                        plan,
                        record,
                        f"ホスト名「{hostname}」が {earlier.row} 行目と異なるIPアドレスで指定されています"
                        "（IPアドレスを書く行と書かない行を揃えてください）",
                        "hostname",
                    )
                names[name_key] = record
        for planned in plan.records:
            record = planned.record
            if record.kind != "finding":
                continue
            if len(record.key) == 2:
                if planned.action == NEW:
                    self._error(plan, record, MSG_FINDING_ID.format(id=record.key[1]), "finding_id")
                elif planned.existing.system_id != record.fields["system_id"]:
                    self._error(plan, record, f"指摘ID「{record.key[1]}」は別のシステムの指摘です", "code")
            if record.key in self.ambiguous:
                self._error(
                    plan,
                    record,
                    f"同じホストに同じ指摘事項が {self.ambiguous[record.key]} 件あります。"
                    "指摘IDを入力してください",
                    "title",
                )

    def _error(self, plan: Plan, record: Record, message: str, column: str) -> None:
        plan.errors.append({"row": record.row, "column": self.field_label(column), "message": message})

    # -- writing -----------------------------------------------------------------------------------
    def apply(self, plan: Plan, progress: Progress | None = None) -> None:
        new_hosts = [
            Host(
                system_id=p.record.fields["system_id"],
                ip=p.record.fields.get("ip"),
                hostname=p.record.fields.get("hostname", ""),
            )
            for p in plan.records
            if p.record.kind == "host" and p.action == NEW
        ]
        if new_hosts:
            bulk_create_with_history(new_hosts, Host, batch_size=BATCH, default_user=self.user)
            keys = [p.record.key for p in plan.records if p.record.kind == "host" and p.action == NEW]
            self.hosts.update(zip(keys, new_hosts, strict=True))
        new, updated = [], []
        for planned in plan.records:
            record = planned.record
            if record.kind != "finding":
                continue
            host_ref = record.fields["host_ref"]
            if planned.action == NEW:
                finding = Finding(system_id=record.fields["system_id"], source=SHEET_SOURCE)
                finding = self._updated(record, finding)
                new.append(finding)
            elif planned.changes:
                finding = self.updated[record.key]
                updated.append(finding)
            else:
                continue
            if isinstance(finding.host_id, tuple) or (host_ref is not None and finding.host_id is None):
                finding.host_id = self.hosts[host_ref].pk
        self.write_findings(new, updated, progress)

    # -- export ------------------------------------------------------------------------------------
    def export_rows(self, queryset) -> Iterable[list]:
        findings = queryset.select_related("system", "host", "system__unit__department")
        today = timezone.localdate()
        for f in findings.iterator(chunk_size=2000):
            row = {
                "finding_id": f.pk,
                "code": f.system.code,
                "ip": f.host.ip if f.host_id else None,
                "hostname": (f.host.hostname or None) if f.host_id else None,
                "title": f.title,
                "cve": f.cve or None,
                "cvss": float(f.cvss) if f.cvss is not None else None,
                "severity": SHEET_SEVERITY.get(f.severity),
                "found_on": f.found_on,
                "remediation_plan": f.remediation_plan or None,
                "due_on": f.due_on,
                "fixed_on": f.fixed_on,
                "source": f.source or None,
                "department": f.system.unit.department.name if f.system.unit.department_id else None,
                "status": SHEET_STATUS[f.status_on(today)],
            }
            yield [row[column.key] for column in self.columns]


# --- Scanner exports --------------------------------------------------------------------------------
OPENVAS, NESSUS = "openvas", "nessus"
SCANNER_NAMES = {OPENVAS: "OpenVAS", NESSUS: "Nessus"}
# Rows that report no vulnerability: Nessus Risk "None", OpenVAS "Log" (and results marked false positive).
INFORMATIONAL = frozenset({"none", "log", "false positive", "debug"})
# NVT OIDs and plugin IDs are a few dozen characters; with the port (30) the key stays within its 300.
PLUGIN_MAX = 200
PORT_MAX = Finding._meta.get_field("port").max_length


@register
class ScannerCsvImporter(FindingImporter):
    kind = "scanner-csv"
    label = _("Scanner results (OpenVAS / Nessus CSV)")
    export_filename = "scanner_results"
    columns = [
        Column(
            "plugin",
            "Plugin ID",
            ("NVT OID", "OID", "Plugin"),
            required=True,
            parse=text_within(PLUGIN_MAX, to_code),
        ),
        Column("name", "Name", ("NVT Name", "Plugin Name"), required=True),
        Column("host", "Host", ()),
        Column("ip", "IP", ("IP Address",)),
        Column("hostname", "Hostname", ("DNS Name", "FQDN")),
        Column("port", "Port", (), parse=to_code),
        Column("protocol", "Protocol", ("Port Protocol",), parse=to_code),
        Column("cvss3", "CVSS v3.0 Base Score", ("CVSS v3.1 Base Score", "CVSS3 Base Score"), parse=to_cvss),
        Column(
            "cvss", "CVSS", ("CVSS v2.0 Base Score", "CVSS Base Score", "CVSS v2 Base Score"), parse=to_cvss
        ),
        Column("risk", "Risk", ("Severity", "Risk Factor")),
        Column("cve", "CVE", ("CVEs",), parse=to_cve),
        Column("summary", "Synopsis", ("Summary",)),
        Column("solution", "Solution", ()),
        Column("timestamp", "Timestamp", ("Scan Date", "Last Observed"), parse=to_date),
    ]

    def __init__(self, user):
        super().__init__(user)
        self.by_ip: dict[str, list[Host]] | None = None
        self.by_name: dict[str, list[Host]] = defaultdict(list)
        self.hosts_by_id: dict[int, Host] = {}
        self.cves: dict[Hashable, list[str]] = defaultdict(list)
        self.updated: dict[Hashable, Finding] = {}

    def _load_hosts(self) -> None:
        self.by_ip = defaultdict(list)
        for host in self.changeable(Host).select_related("system"):
            self.hosts_by_id[host.pk] = host
            if host.ip:
                self.by_ip[host.ip].append(host)
            if host.hostname:
                self.by_name[host.hostname].append(host)

    def find_host(self, ip: str | None, hostname: str | None, column: str) -> Host:
        """Return the registered host the row is about: by IP, else by host name (which also tells apart
        hosts that share an address in two systems)."""
        if self.by_ip is None:
            self._load_hosts()
        found = self.by_ip.get(ip, []) if ip else []
        if len(found) > 1 and hostname:
            found = [h for h in found if h.hostname == hostname] or found
        if not found and hostname:
            found = self.by_name.get(hostname, [])
        shown_host = ip or hostname or "（空欄）"
        if not found:
            raise RowError(MSG_UNKNOWN_HOST.format(host=shown_host), column)
        if len(found) > 1:
            systems = "、".join(sorted(h.system.code for h in found))
            raise RowError(MSG_AMBIGUOUS_HOST.format(host=shown_host, systems=systems), column)
        return found[0]

    def records_from_row(self, values: dict[str, Any]) -> list[Record]:
        risk = to_text(values["risk"]).lower()
        if risk in INFORMATIONAL:
            return []
        plugin = values["plugin"]
        scanner = OPENVAS if "." in plugin else NESSUS
        host_cell = to_text(values["host"])
        try:
            ip = to_ip(values["ip"]) or (to_ip(host_cell) if is_ip(host_cell) else None)
        except ValueError as exc:
            raise RowError(str(exc), "ip") from None
        hostname = normalize_hostname(values["hostname"]) or (
            normalize_hostname(host_cell) if host_cell and not is_ip(host_cell) else ""
        )
        # The column the user looks at when the host is unknown: IP / Hostname (OpenVAS), Host (Nessus).
        column = "ip" if values["ip"] else "host" if host_cell else "hostname"
        host = self.find_host(ip, hostname, column)
        port, protocol = values["port"], values["protocol"].lower()
        if port in ("0", "general"):
            port = ""
        port_label = (f"{port}/{protocol}" if port and protocol else port or protocol)[:PORT_MAX]
        cvss = values["cvss3"] if values["cvss3"] is not None else values["cvss"]
        risk_severity = severity_word(risk)
        if cvss is None and risk_severity is None:
            raise RowError("CVSS も深刻度（Risk / Severity）もないため、深刻度を決められません", "cvss")
        key = ("finding", host.pk, f"{scanner}:{plugin}:{port_label}")
        for cve in split_cves(values["cve"])[0]:
            if cve not in self.cves[key]:
                self.cves[key].append(cve)
        fields = {
            "system_id": host.system_id,
            "host_id": host.pk,
            "title": values["name"][:300],
            "cvss": cvss,
            "risk_severity": risk_severity if cvss is None else None,
            "port": port_label,
            "description": values["summary"],
            "solution": values["solution"],
            "found_on": values["timestamp"],
            "source": SCANNER_NAMES[scanner],
        }
        return [Record(key, fields, 0, kind="finding")]

    def describe(self, record: Record) -> str:
        host = self.hosts_by_id[record.fields["host_id"]]
        port = f"（{record.fields['port']}）" if record.fields["port"] else ""
        return f"{host.system.code} {host.label}{port} {record.fields['title']}"

    def existing(self, records: list[Record]) -> dict[Hashable, Finding]:
        for record in records:
            record.fields["cve"] = join_cves(self.cves.get(record.key, []))
        found = self.changeable(Finding).filter(
            host_id__in={r.fields["host_id"] for r in records}, scanner_key__in={r.key[2] for r in records}
        )
        return {("finding", f.host_id, f.scanner_key): f for f in found}

    def changes(self, record: Record, instance: Finding) -> dict[str, tuple[Any, Any]]:
        updated = self._updated(record, copy.copy(instance))
        self.updated[record.key] = updated
        return self.tracked_changes(instance, updated)

    def _updated(self, record: Record, finding: Finding) -> Finding:
        """Return the finding with what the scanner says; the office's plan, dates and severity stay."""
        fields = record.fields
        clear_derived(finding)
        for name in ("title", "cve", "cvss", "port", "description"):
            setattr(finding, name, fields[name])
        if not finding.severity and fields["risk_severity"]:
            finding.severity = fields["risk_severity"]
        seen_on = fields["found_on"]
        if finding.pk is None:
            finding.found_on = seen_on or timezone.localdate()
        elif finding.fixed_on is not None and seen_on is not None and seen_on > finding.fixed_on:
            # Found again by a scan after the fix: the fix did not hold.
            finding.fixed_on = None
        return derive(finding)

    def apply(self, plan: Plan, progress: Progress | None = None) -> None:
        new, updated = [], []
        for planned in plan.records:
            record = planned.record
            if planned.action == NEW:
                finding = Finding(
                    system_id=record.fields["system_id"],
                    host_id=record.fields["host_id"],
                    scanner_key=record.key[2],
                    source=record.fields["source"],
                    remediation_plan=record.fields["solution"],
                )
                new.append(self._updated(record, finding))
            elif planned.changes:
                updated.append(self.updated[record.key])
        self.write_findings(new, updated, progress)

    def export_rows(self, queryset) -> Iterable[list]:
        raise NotImplementedError("scanner results are imported only")
