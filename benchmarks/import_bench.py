"""Benchmark of the organisation import: preview and apply of a 5,000-row and a 100,000-row sheet.

    .venv/bin/python benchmarks/import_bench.py                     # both sizes, SQLite, temp dir
    .venv/bin/python benchmarks/import_bench.py --rows 20000 50000  # other sizes
    .venv/bin/python benchmarks/import_bench.py --profile apply     # cProfile one phase per size
    DATABASE_URL=postgres://… .venv/bin/python benchmarks/import_bench.py      # PostgreSQL

Targets on a 2-core machine: 5,000 rows previewed and applied in under 3 s; 100,000 rows in under
60 s with a peak resident memory under 500 MB.

For each size the sheet is generated here (openpyxl, write-only, the shape of karte/demo/organisation.xlsx:
a title row, a note row, the header, then one row per section), then a child process started afresh
measures it, so its peak memory is that size's alone. The child gets its own empty database: a SQLite
file in a fresh KARTE_VAR_DIR or, with DATABASE_URL, a fresh PostgreSQL database dropped afterwards,
migrated by a separate process so that neither migrating time nor memory is counted. It times

  preview      build_plan() + Plan.as_dict() on the empty database (what a preview job does)
  apply        apply_plan() of that plan (an apply job first reads the file again: add a preview)
  re-preview   build_plan() + as_dict() of the same file again, every record now unchanged

The exit status is 0 even when a target is missed (it is a benchmark); --strict makes a miss exit 1.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from common import (
    REPO,
    database_label,
    fresh_postgres,
    migrate,
    prepare_environment,
    print_header,
    print_profile,
    print_table_header,
    scratch_directory,
    setup_django,
)

DEFAULT_ROWS = (5_000, 100_000)
# rows -> (seconds for preview + apply, peak MB or None)
TARGETS = {5_000: (3.0, None), 100_000: (60.0, 500.0)}
PHASES = ("preview", "apply", "re-preview")

BODY_CODE = "270008"
BODY_NAME = "大阪府"
SECTIONS_PER_DEPARTMENT = 50
HEADER = [
    "団体コード",
    "団体名",
    "部局コード",
    "部局名",
    "所属コード",
    "所属名",
    "グループコード",
    "グループ名",
    "有効開始日",
    "有効終了日",
    "統合先コード",
]
DATES = ("令和6年4月1日", "2024-04-01")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
DEPARTMENT_WORDS = (
    "政策企画",
    "総務",
    "財務",
    "府民文化",
    "福祉",
    "健康医療",
    "商工労働",
    "環境農林水産",
    "都市整備",
)
SECTION_WORDS = ("企画", "総務", "人事", "財政", "広報", "調整", "管理", "推進", "指導", "振興", "保全")


# -- the sheet -------------------------------------------------------------------------------------
def generate(path: Path, rows: int) -> None:
    """Write an organisation sheet of `rows` sections under one body and about rows/50 departments.

    Codes keep their leading zeros as text; every 7th section code and every 11th department code is
    written in full-width digits (the importer NFKC-normalises them); 有効開始日 alternates between the
    Japanese era and ISO forms of the same day, so the file describes each unit exactly once.
    """
    from openpyxl import Workbook

    departments = max(1, rows // SECTIONS_PER_DEPARTMENT)
    per_department = -(-rows // departments)
    department_width = max(2, len(str(departments)))
    section_width = max(3, len(str(per_department)))

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("組織")
    sheet.append([f"組織一覧（令和6年4月1日現在・ベンチマーク用 {rows:,} 行）"])
    sheet.append(["※ コードは半角・全角のどちらでも構いません。日付は和暦・西暦のどちらでも入力できます。"])
    sheet.append(HEADER)
    for i in range(rows):
        department, seq = divmod(i, per_department)
        department_code = f"{department + 1:0{department_width}d}"
        section_code = f"{department_code}{seq + 1:0{section_width}d}"
        department_name = f"{DEPARTMENT_WORDS[department % len(DEPARTMENT_WORDS)]}第{department + 1}部"
        section_name = f"{SECTION_WORDS[seq % len(SECTION_WORDS)]}第{seq + 1}課"
        if i % 11 == 0:
            department_code = department_code.translate(FULL_WIDTH)
        if i % 7 == 0:
            section_code = section_code.translate(FULL_WIDTH)
        sheet.append(
            [
                BODY_CODE,
                BODY_NAME,
                department_code,
                department_name,
                section_code,
                section_name,
                None,
                None,
                DATES[i % 2],
            ]
        )
    workbook.save(path)


def expected_units(rows: int) -> int:
    """Return how many units the sheet of `rows` rows describes: the body, departments, sections."""
    departments = max(1, rows // SECTIONS_PER_DEPARTMENT)
    per_department = -(-rows // departments)
    return 1 + -(-rows // per_department) + rows


# -- the child: one size, one fresh database -------------------------------------------------------
def peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # KB on Linux, bytes on macOS.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_child(args: argparse.Namespace) -> None:
    """Measure one sheet in this process and write the figures as JSON to args.result."""
    prepare_environment()
    os.environ["KARTE_VAR_DIR"] = args.var_dir
    with fresh_postgres(f"karte_import_bench_{os.getpid()}"):
        migrate()
        result = _measure(args)
    Path(args.result).write_text(json.dumps(result))


def _measure(args: argparse.Namespace) -> dict:
    setup_django()
    from django.db import connection

    from karte.core.importing.base import apply_plan, build_plan
    from karte.core.importing.registry import get_importer
    from karte.core.models import OrgUnit

    importer_class = get_importer("organisation")
    seen = []

    def progress(done: int, total: int) -> None:
        seen.append(done)

    def phase(name: str, work):
        if args.profile != name:
            started = time.perf_counter()
            value = work()
            return value, time.perf_counter() - started
        import cProfile

        profiler = cProfile.Profile()
        started = time.perf_counter()
        value = profiler.runcall(work)
        elapsed = time.perf_counter() - started
        print(f"\n== cProfile: {name}, {args.rows:,} rows ({elapsed:.2f} s with profiling) ==", flush=True)
        print_profile(profiler, args.profile_lines, "tottime", "cumulative")
        return value, elapsed

    def preview():
        importer = importer_class(None)
        plan = build_plan(importer, args.path, progress)
        return plan, plan.as_dict(importer)

    base_mb = peak_mb()
    (plan, shown), preview_s = phase("preview", preview)
    peaks = {"preview": peak_mb()}
    apply_now = functools.partial(apply_plan, importer_class(None), plan, progress)
    _, apply_s = phase("apply", apply_now)
    peaks["apply"] = peak_mb()
    units = OrgUnit.objects.count()
    # The re-preview starts, as a real one would, without the first plan in memory.
    del apply_now, plan
    (_, again), repreview_s = phase("re-preview", preview)
    peaks["re-preview"] = peak_mb()

    expected = expected_units(args.rows)
    problems = []
    if shown["counts"]["errors"]:
        problems.append(f"preview has {shown['counts']['errors']} errors, first: {shown['errors'][:3]}")
    if shown["counts"]["new"] != expected:
        problems.append(f"preview: {shown['counts']['new']} new units, expected {expected}")
    if units != expected:
        problems.append(f"{units} units in the database after apply, expected {expected}")
    if again["counts"]["unchanged"] != expected or again["counts"]["errors"]:
        problems.append(f"re-preview is not all unchanged: {again['counts']}")
    return {
        "rows": args.rows,
        "database": connection.vendor,
        "preview": preview_s,
        "apply": apply_s,
        "re-preview": repreview_s,
        "base_mb": base_mb,
        "peak_mb": peak_mb(),
        # The peak is a high-water mark: the phase that raised it last is where memory goes.
        "peaks": peaks,
        "units": units,
        "problems": problems,
        "profiled": args.profile,
    }


# -- the parent: generate, run a child per size, print the table -------------------------------------
def verdict(rows: int, result: dict) -> tuple[str, str]:
    """Return (target text, PASS / FAIL / '-') for one size's figures."""
    if result.get("failed"):
        return "", "FAIL (crashed)"
    if result["problems"]:
        return "", "FAIL (wrong result)"
    if rows not in TARGETS:
        return "no target", "-"
    seconds, memory = TARGETS[rows]
    target = f"preview+apply < {seconds:g} s" + (f", peak < {memory:g} MB" if memory else "")
    misses = []
    if result["preview"] + result["apply"] >= seconds:
        misses.append("time")
    if memory and result["peak_mb"] >= memory:
        misses.append("memory")
    if result["profiled"]:
        return target, "(profiled)"
    return target, f"FAIL ({', '.join(misses)})" if misses else "PASS"


def run_size(rows: int, args: argparse.Namespace, parent_dir: str | None) -> dict:
    """Write a sheet of `rows` rows and measure it in a child process; return the child's figures."""
    kept = "           kept {path}"
    with scratch_directory(f"import-bench-{rows}-", parent_dir, args.keep, kept) as var_dir:
        path = var_dir / f"organisation-{rows}.xlsx"
        started = time.perf_counter()
        generate(path, rows)
        generated_s = time.perf_counter() - started
        size_mb = path.stat().st_size / (1024 * 1024)
        print(
            f"{rows:>9,} rows: generated {path.name} ({size_mb:.1f} MB) in {generated_s:.1f} s; measuring…",
            flush=True,
        )
        result_path = var_dir / "result.json"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            "--rows",
            str(rows),
            "--path",
            str(path),
            "--var-dir",
            str(var_dir),
            "--result",
            str(result_path),
            "--profile-lines",
            str(args.profile_lines),
        ]
        if args.profile:
            command += ["--profile", args.profile]
        completed = subprocess.run(command, cwd=REPO, check=False)
        if completed.returncode or not result_path.exists():
            result = {"rows": rows, "failed": True, "returncode": completed.returncode}
        else:
            result = json.loads(result_path.read_text())
        result.update(generated=generated_s, file_mb=size_mb, var_dir=str(var_dir))
    return result


def print_table(results: list[dict]) -> bool:
    """Print the figures; return whether every size with a target met it."""
    header = (
        f"{'rows':>9}  {'file MB':>7}  {'gen s':>6}  {'preview s':>9}  {'apply s':>8}  "
        f"{'re-preview s':>12}  {'peak MB':>8}  {'target':<38}  result"
    )
    print_table_header(header)
    ok = True
    for result in results:
        rows = result["rows"]
        target, outcome = verdict(rows, result)
        ok = ok and (outcome in ("PASS", "-", "(profiled)"))
        if result.get("failed"):
            print(f"{rows:>9,}  {result['file_mb']:>7.1f}  {result['generated']:>6.1f}  {'':>83}  {outcome}")
            continue
        print(
            f"{rows:>9,}  {result['file_mb']:>7.1f}  {result['generated']:>6.1f}  {result['preview']:>9.2f}  "
            f"{result['apply']:>8.2f}  {result['re-preview']:>12.2f}  {result['peak_mb']:>8.1f}  "
            f"{target:<38}  {outcome}"
        )
        peaks = ", ".join(f"{name} {mb:.0f}" for name, mb in result["peaks"].items())
        print(f"{'':>11}peak MB after each phase: start {result['base_mb']:.0f}, {peaks}")
        for problem in result["problems"]:
            print(f"           ! {problem}")
    print()
    measured = [r for r in results if not r.get("failed")]
    if measured:
        base = max(r["base_mb"] for r in measured)
        print(
            f"database: {measured[0]['database']}; peak MB is the child's maximum resident set, "
            f"of which about {base:.0f} MB is Python + Django before the import starts."
        )
    if any(r.get("profiled") for r in measured):
        print("Times were taken under cProfile and are slower than normal; no verdict is given.")
    return ok


def row_count(text: str) -> int:
    """Return a size given as 5000, 5_000 or 5,000."""
    try:
        rows = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of rows: {text!r}") from None
    if rows < 1:
        raise argparse.ArgumentTypeError("the sheet needs at least one row")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--rows",
        nargs="+",
        type=row_count,
        default=list(DEFAULT_ROWS),
        metavar="N",
        help="sheet sizes in data rows, e.g. --rows 5000 100_000 (default: 5000 100000)",
    )
    parser.add_argument("--keep", action="store_true", help="keep each size's directory (sheet, SQLite file)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--profile", choices=PHASES, help="run this phase under cProfile and print the top functions"
    )
    parser.add_argument("--profile-lines", type=int, default=25, help="functions shown per cProfile listing")
    # Internal: the measuring child.
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--var-dir", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        args.rows = args.rows[0]
        run_child(args)
        return 0

    # A KARTE_VAR_DIR from the environment holds the per-size directories, which are then kept.
    parent_dir = prepare_environment()
    sizes = ", ".join(f"{n:,}" for n in args.rows)
    print_header("Organisation import benchmark", database_label(), f"sizes {sizes}")
    results = [run_size(rows, args, parent_dir) for rows in args.rows]
    ok = print_table(results)
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
