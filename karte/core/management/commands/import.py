"""`karte import KIND FILE [--apply]`: the same import as the pages, printing the preview."""

from django.core.management.base import BaseCommand, CommandError

from karte.core.fiscal import FiscalParseError, parse_fiscal_year
from karte.core.importing.base import apply_plan, build_plan
from karte.core.importing.registry import all_importers, get_importer
from karte.core.importing.tabular import TableError


class Command(BaseCommand):
    help = "Preview (and with --apply, apply) an import of a sheet. Kinds: see --help."

    def add_arguments(self, parser):
        kinds = ", ".join(i.kind for i in all_importers())
        parser.add_argument("kind", help=f"what the sheet holds: {kinds}")
        parser.add_argument("file")
        parser.add_argument("--apply", action="store_true", help="apply the import when it has no errors")
        parser.add_argument(
            "--fiscal-year", help="the fiscal year of the sheet's yearly amounts (2022, 令和4年度, R4)"
        )
        parser.add_argument("--round", help="the survey round the sheet answers, by name (令和4年度調査)")

    def handle(self, kind, file, apply, fiscal_year, round, **options):
        importer_class = get_importer(kind)
        if importer_class is None:
            raise CommandError(
                f"取り込みの種類「{kind}」はありません（{', '.join(i.kind for i in all_importers())}）"
            )
        chosen = {}
        if fiscal_year:
            if "fiscal_year" not in importer_class.options:
                raise CommandError(f"「{kind}」の取り込みには年度を指定できません")
            try:
                chosen["fiscal_year"] = parse_fiscal_year(fiscal_year)
            except FiscalParseError as exc:
                raise CommandError(str(exc)) from exc
        if round:
            if "round" not in importer_class.options:
                raise CommandError(f"「{kind}」の取り込みには照会を指定できません")
            chosen["round"] = round
        importer = importer_class(None, **chosen)
        try:
            plan = build_plan(importer, file)
        except (TableError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        preview = plan.as_dict(importer)
        counts = preview["counts"]
        self.stdout.write(
            f"見出し行: {preview['header_row']}行目 / データ行: {preview['rows_read']}\n"
            f"新規: {counts['new']}  変更: {counts['changed']}  変更なし: {counts['unchanged']}  "
            f"エラー: {counts['errors']}"
        )
        for item in preview["sample"]:
            changes = "; ".join(f"{c['field']}: {c['old']} → {c['new']}" for c in item["changes"])
            mark = "+" if item["action"] == "new" else "~"
            self.stdout.write(f"  {mark} {item['row']}行目 {item['label']} {changes}".rstrip())
        for error in preview["errors"]:
            self.stdout.write(f"  ! {error['row']}行目 {error['column']}: {error['message']}")
        if plan.has_errors:
            raise CommandError("エラーがあるため取り込みません。何も変更していません。")
        if apply:
            apply_plan(importer, plan)
            self.stdout.write(self.style.SUCCESS("反映しました。"))
        else:
            self.stdout.write("確認のみ（反映するには --apply を付けてください）")
