"""The ``xxgk`` command. Heavy libraries (Prefect, Great Expectations) are imported only by the
sub-commands that need them, so ``xxgk parse`` starts fast."""
from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from xxgk import cli_read, cli_run, offline
from xxgk.harvest import command as harvest_command
from xxgk.errors import UserError

EXIT_OK, EXIT_FINDINGS, EXIT_FAILED = 0, 1, 2


def _parse_command(args: argparse.Namespace) -> int:
    from parsing import parse_file

    failed = False
    for path in _expand(args.files):
        report = parse_file(path)
        failed |= report.parse_status == "failed"
        print(json.dumps(report.to_json(), ensure_ascii=False) if args.json else summary_line(report), flush=True)
    return EXIT_FAILED if failed else EXIT_OK


def summary_line(report) -> str:  # noqa: ANN001 - parsing.Report
    """One readable line: file, body, year, edition, sections, cells found / missing, status."""
    numbers = sum(1 for c in report.cells.values() if c.state != "missing")
    missing = report.count("missing")
    sections = "".join("一二三四五六"[s.number - 1] for s in report.sections) or "—"
    parts = [
        report.file, report.body or "（未识别机关）", str(report.year or "—"), f"版式 {report.edition or '—'}",
        f"部分 {sections}", f"单元格 {numbers}/{numbers + missing}（缺失 {missing}）", report.parse_status,
    ]
    line = " | ".join(parts)
    if report.parse_status == "failed" and report.problems:
        line += f" | {report.problems[0]}"
    return line


def _expand(items: Sequence[str]) -> list[Path]:
    """Files as given; a directory stands for the report files inside it (sorted)."""
    from xxgk.pipeline import discover

    out: list[Path] = []
    for item in items:
        path = Path(item)
        out.extend(discover([path]) if path.is_dir() else [path])
    return out


def parse_years(text: str) -> list[int]:
    """``2022`` → [2022]; ``2019-2024`` → [2019 … 2024]; ``2020,2022`` → [2020, 2022]."""
    years: list[int] = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        years.extend(range(int(first), int(last or first) + 1))
    return years


def _check_command(args: argparse.Namespace) -> int:
    from xxgk.check import check_paths, default_run_dir, exit_code, missing_to_json, to_json, to_text

    from xxgk.preflight import register_bodies
    from xxgk.settings import default_out

    run_dir = Path(args.docs) if args.docs else (None if args.engine == "bare" else default_run_dir(default_out()))
    register = register_bodies(args.register) if args.register else None
    result = check_paths(_expand(args.files), run_dir, args.engine, register, args.years)
    for checked in result.checked:
        if args.json:
            print(json.dumps(to_json(checked), ensure_ascii=False), flush=True)
        else:
            print("\n".join(to_text(checked)), flush=True)
    for missing in result.missing:
        if args.json:
            print(json.dumps(missing_to_json(missing), ensure_ascii=False))
        else:
            print(f"（未发现报告）| {missing.body} | {missing.year}\n  {'✗' if missing.status == 'fail' else '?'} "
                  f"{missing.rule_id} [{missing.severity}] {missing.status}: {missing.message}")
    if result.docs_index:
        print(f"Data Docs: {result.docs_index}", file=sys.stderr if args.json else sys.stdout)
    return exit_code(result)


def _serve_command(args: argparse.Namespace) -> int:
    from xxgk import preflight

    if not args.harvest:
        preflight.input_files(args.dirs)
    preflight.register_bodies(args.register)
    from flows.deploy import serve

    absolute = lambda path: str(Path(path).absolute()) if path else None  # noqa: E731 - a deployment runs elsewhere
    parameters = {"inputs": [absolute(d) for d in args.dirs], "db": absolute(args.db),
                  "register": absolute(args.register), "docs": absolute(args.docs), "out": absolute(args.out),
                  "years": args.years, "harvest": args.harvest}
    print(f"注册 nightly 部署：cron “{args.cron}”（{args.timezone}）；需要已启动的 Prefect 服务器（prefect server start）")
    if args.in_process:
        from flows.serve_here import serve_in_process

        print("每次运行在本进程中执行（--in-process）")
        serve_in_process(parameters, args.cron, args.timezone)
    else:
        serve(parameters, args.cron, args.timezone)
    return EXIT_OK


def _synth_command(args: argparse.Namespace) -> int:
    from synth.city import generate_city

    manifest = generate_city(Path(args.out), args.bodies, args.years, args.formats.split(","), args.defect_rate,
                             args.seed)
    counts = manifest.to_json().get("counts", {})
    print(f"合成城市：{args.out}（机关 {args.bodies} 个，报告 {counts.get('reports', '?')} 份，"
          f"注入缺陷 {counts.get('defects', '?')} 处，见 labels.jsonl）")
    return EXIT_OK


def _warehouse_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, help="DuckDB file (default <项目目录>/warehouse/xxgk.duckdb; "
                   "项目目录 = $XXGK_HOME, or the nearest folder upward holding xxgk.toml)")


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("dirs", nargs="*", help="folders (or files) holding the reports (the reports harvested "
                   "beside the warehouse are always included)")
    _warehouse_options(p)
    p.add_argument("--register", help="register of bodies (CSV or YAML)")
    p.add_argument("--harvest", action="store_true", help="first fetch the reports from the bodies' websites "
                   "(the register's source_url column; see xxgk harvest)")
    p.add_argument("--years", type=parse_years, help="report years every registered body must have filed, "
                   "e.g. 2022 or 2019-2024 (default: every year present)")
    p.add_argument("--docs", type=Path, help="folder for each run's GX project and Data Docs (default <项目目录>/out/docs)")
    p.add_argument("--out", type=Path, help="folder for audit_list.csv / audit_list.xlsx (default <项目目录>/out)")


def _table_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("table", "csv", "json"), default="table",
                   help="table (terminal), csv, or json (one object per line)")
    p.add_argument("--width", type=int, default=60, help="widest column of a table, in terminal columns")


def _with_defaults(args: argparse.Namespace) -> argparse.Namespace:
    """Paths not given resolve from the project home (``xxgk.settings.project_home``), not the current folder
    (``check`` has its own default for ``--docs``; ``report`` links the Data Docs when the folder exists)."""
    if args.command in ("parse", "check", "synth"):
        return args  # no warehouse: nothing to resolve (and nothing heavy to import)
    from xxgk import settings

    for name, default in (("db", settings.default_db), ("out", settings.default_out), ("docs", settings.default_docs)):
        if getattr(args, name, ...) is None and args.command != "check":
            setattr(args, name, default())
    if args.command == "report" and not Path(args.docs).is_dir():
        args.docs = None
    return args


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xxgk", description="政府信息公开工作年度报告 合规检查")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parse", parents=[common], help="parse reports into the canonical model (no checks, no warehouse)")
    p.add_argument("files", nargs="+", help="report files (.txt .md .html .htm .docx .pdf) or folders")
    p.add_argument("--json", action="store_true", help="one JSON object per file, one per line")
    p.set_defaults(handler=_parse_command)
    c = sub.add_parser("check", parents=[common], help="parse and validate reports (no warehouse); findings per report")
    c.add_argument("files", nargs="+", help="report files or folders")
    c.add_argument("--json", action="store_true", help="one JSON object per file, one per line")
    c.add_argument("--docs", metavar="DIR", help="folder for this check's GX project and Data Docs")
    c.add_argument("--register", help="register of bodies (CSV or YAML): enables REG-* rules")
    c.add_argument("--years", type=parse_years, help="report years every registered body must have filed, "
                   "e.g. 2022 or 2019-2024 (default: every year present)")
    c.add_argument("--engine", choices=("gx", "bare"), default="gx",
                   help="gx: Great Expectations suites + Data Docs (default); bare: plain Python, no docs")
    c.set_defaults(handler=_check_command)
    r = sub.add_parser("run", parents=[common], help="the nightly flow, locally: ingest, validate, load, summary")
    _run_options(r)
    r.add_argument("--engine", choices=("gx", "bare"), default="gx", help=argparse.SUPPRESS)
    r.add_argument("--progress", action="store_true", help="show progress bars even when not on a terminal")
    r.add_argument("--wait", type=float, default=30.0,
                   help="seconds to wait for another run or a reader holding the warehouse (default 30)")
    r.add_argument("--allow-shrink", action="store_true",
                   help="run even when the input has fewer than half the files of the previous run")
    r.set_defaults(handler=cli_run.run_command)
    h = sub.add_parser("harvest", parents=[common], help="fetch the registered bodies' reports from their websites "
                       "(the register's source_url column) into the warehouse's raw archive, with the evidence")
    harvest_command.add_arguments(h)
    h.set_defaults(handler=harvest_command.main)
    a = sub.add_parser("audit", parents=[common], help="the audit list (default), open findings with their "
                       "fingerprints (--findings), or reports that need review (--pending)")
    a.add_argument("--year", type=int)
    which = a.add_mutually_exclusive_group()
    which.add_argument("--findings", action="store_true", help="open findings, with the fingerprint xxgk review takes")
    which.add_argument("--pending", action="store_true", help="reports that need review (待核实), with the reasons")
    _warehouse_options(a)
    _table_options(a)
    a.set_defaults(handler=cli_read.audit_command)
    q = sub.add_parser("sql", parents=[common], help="one read-only SQL query over the analysts' snapshot")
    q.add_argument("query", help='e.g. "SELECT * FROM audit_list"')
    _warehouse_options(q)
    _table_options(q)
    q.set_defaults(handler=cli_read.sql_command)
    v = sub.add_parser("review", parents=[common], help="confirm or waive a finding (by fingerprint)")
    v.add_argument("fingerprint")
    which = v.add_mutually_exclusive_group(required=True)
    which.add_argument("--confirm", action="store_true")
    which.add_argument("--waive", action="store_true")
    v.add_argument("--reason", required=True)
    v.add_argument("--reviewer", help="who decided (default: the logged-in user)")
    v.add_argument("--wait", type=float, default=10.0, help="seconds to wait for a run holding the warehouse")
    _warehouse_options(v)
    v.set_defaults(handler=cli_read.review_command)
    sy = sub.add_parser("synth", parents=[common], help="generate a synthetic city: register, reports, injected defects, labels")
    sy.add_argument("out")
    sy.add_argument("--bodies", type=int, default=60)
    sy.add_argument("--years", type=parse_years, default=parse_years("2019-2025"))
    sy.add_argument("--formats", default="txt,html,docx")
    sy.add_argument("--defect-rate", type=float, default=0.1)
    sy.add_argument("--seed", type=int, default=1)
    sy.set_defaults(handler=_synth_command)
    rp = sub.add_parser("report", parents=[common], help="rebuild the report site, the XLSX by county and the 整改通知 drafts")
    _warehouse_options(rp)
    rp.add_argument("--out", type=Path, help="output folder (site in OUT/portal/; default <项目目录>/out)")
    rp.add_argument("--docs", type=Path, help="the --docs folder of the runs (to link the Data Docs; "
                    "default <项目目录>/out/docs when it exists)")
    rp.set_defaults(handler=cli_read.report_command)
    s = sub.add_parser("serve", parents=[common], help="register the nightly deployment on a cron schedule (needs a Prefect server)")
    _run_options(s)
    s.add_argument("--cron", default="0 2 * * *")
    s.add_argument("--timezone", default="Asia/Shanghai")
    s.add_argument("--in-process", action="store_true",
                   help="run each due run in this process (imports made once) instead of a new interpreter per run")
    s.set_defaults(handler=_serve_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    offline.apply()
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            cli_run.launch_server(args)     # before the defaults import pandas and DuckDB
        return args.handler(_with_defaults(args))
    except KeyboardInterrupt:
        return EXIT_FAILED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - expected ones get one clear line, the rest a short note
        return _failed(args, exc)


def _failed(args: argparse.Namespace, exc: Exception) -> int:
    """A user error (bad path, bad register, missing or held warehouse, unwritable folder): its message
    and exit 2, without a traceback unless ``--debug``. Anything else: one line naming it (exit 2)."""
    from warehouse.db import WarehouseError

    if args.debug:
        traceback.print_exc()
    if isinstance(exc, (UserError, WarehouseError)):
        print(f"xxgk {args.command}: {exc}", file=sys.stderr)
    else:
        print(f"xxgk {args.command}: 出错了（{exc.__class__.__name__}: {exc}）；加 --debug 查看详情", file=sys.stderr)
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
