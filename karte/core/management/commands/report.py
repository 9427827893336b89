"""`karte report KIND [--fy …] [--round …] [--body CODE] [--department CODE] [--json]`.

The reports are those modules register in their `reports.py` (see karte.core.reports).
"""

import json

from django.core.management.base import BaseCommand, CommandError

from karte.core.reports import all_reports, get_report

FLAGS = {"fy": "--fy", "round": "--round", "body": "--body", "department": "--department"}


class Command(BaseCommand):
    help = "Print the figures of a report, as text or JSON. Kinds: see --help."

    def add_arguments(self, parser):
        kinds = "; ".join(f"{r.kind}{f' ({r.help})' if r.help else ''}" for r in all_reports())
        parser.add_argument("kind", help=f"which report: {kinds}")
        parser.add_argument("--fy", help="fiscal year (2022, 令和4年度, R4); default: this fiscal year")
        parser.add_argument("--round", help="survey round, by name (令和4年度調査)")
        parser.add_argument("--body", help="code of the local government; needed when there are several")
        parser.add_argument("--department", help="code of a department of the local government")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")

    def handle(self, kind, as_json, **options):
        report = get_report(kind)
        if report is None:
            kinds = ", ".join(r.kind for r in all_reports())
            raise CommandError(f"報告の種類「{kind}」はありません（{kinds}）")
        given = {name: options.get(name) for name in FLAGS}
        for name, value in given.items():
            if value and name not in report.options:
                raise CommandError(f"「{kind}」の報告には {FLAGS[name]} を指定できません")
        figures, text = report.function({name: given[name] for name in report.options})
        if as_json:
            self.stdout.write(json.dumps(figures, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(text)
