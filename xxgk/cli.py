"""The ``xxgk`` command. Heavy libraries (Prefect, Great Expectations) are imported only by the
sub-commands that need them, so ``xxgk parse`` starts fast."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from warehouse.db import DEFAULT_DB
from xxgk import offline

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

    from rules.register import load_register

    run_dir = Path(args.docs) if args.docs else (None if args.engine == "bare" else default_run_dir())
    register = load_register(Path(args.register)) if args.register else None
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


def _run_command(args: argparse.Namespace) -> int:
    from flows.nightly import run_local
    from warehouse.db import WarehouseError

    progress = args.progress or sys.stderr.isatty()
    try:
        outcome = run_local(inputs=args.dirs, db=args.db, register=args.register, docs=args.docs, out=args.out,
                          engine=args.engine, show_progress=progress, years=args.years, wait=args.wait)
    except WarehouseError as exc:
        print(f"xxgk run: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - the pipeline itself failed: say so, exit 2
        print(f"xxgk run: 运行失败（{exc.__class__.__name__}: {exc}）；仓库保持上一次完成运行的状态", file=sys.stderr)
        return EXIT_FAILED
    print(f"运行 {outcome['run_id']}：{outcome['n_files']} 个文件，新解析 {outcome['n_parsed']} 个，"
          f"未变化 {outcome['n_carried']} 个")
    if outcome.get("docs"):
        print(f"Data Docs：{outcome['docs']}")
    if outcome.get("site"):
        print(f"报告网站：{outcome['site']}（整改通知 {outcome.get('notices', 0)} 份）")
    return EXIT_FINDINGS if outcome["n_error_bodies"] else EXIT_OK


def _audit_command(args: argparse.Namespace) -> int:
    from warehouse.exports import audit_frame, chinese

    frame = audit_frame(Path(args.db), args.year)
    if args.format == "json":
        for record in frame.to_dict(orient="records"):
            record["rule_ids"] = list(record["rule_ids"]) if record["rule_ids"] is not None else []
            print(json.dumps(record, ensure_ascii=False, default=str))
    elif args.format == "csv":
        chinese(frame).to_csv(sys.stdout, index=False)
    else:
        print(chinese(frame).drop(columns=["问题说明"], errors="ignore").to_string(index=False)
              if not frame.empty else "审计清单为空：最近一次运行没有未处理的不合规项")
    return EXIT_OK


def _review_command(args: argparse.Namespace) -> int:
    from warehouse import db

    decision = "confirmed" if args.confirm else "waived"
    con = db.connect(Path(args.db))
    try:
        db.add_review(con, args.fingerprint, decision, args.reason, args.reviewer)
    except (db.UnknownFingerprint, ValueError) as exc:
        print(f"xxgk review: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        con.close()
    print(f"已记录：{args.fingerprint} → {decision}（{args.reason}）")
    return EXIT_OK


def _serve_command(args: argparse.Namespace) -> int:
    from flows.deploy import serve

    parameters = {"inputs": args.dirs, "db": args.db, "register": args.register, "docs": args.docs,
                  "out": args.out, "years": args.years}
    print(f"注册 nightly 部署：cron “{args.cron}”（{args.timezone}）；需要已启动的 Prefect 服务器（prefect server start）")
    serve(parameters, args.cron, args.timezone)
    return EXIT_OK


def _report_command(args: argparse.Namespace) -> int:
    import portal

    built = portal.build_all(Path(args.db), Path(args.out), Path(args.docs) if args.docs else None)
    print(f"报告网站：{built['site']}")
    print(f"分区县清单：{built['audit_by_county']}")
    print(f"整改通知：{len(built['notices'])} 份，在 {built['notices_dir']}")
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
    p.add_argument("--db", default=str(DEFAULT_DB), help="DuckDB file (default warehouse/xxgk.duckdb)")


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("dirs", nargs="+", help="folders (or files) holding the reports")
    _warehouse_options(p)
    p.add_argument("--register", help="register of bodies (CSV or YAML)")
    p.add_argument("--years", type=parse_years, help="report years every registered body must have filed, "
                   "e.g. 2022 or 2019-2024 (default: every year present)")
    p.add_argument("--docs", default="out/docs", help="folder for each run's GX project and Data Docs")
    p.add_argument("--out", default="out", help="folder for audit_list.csv / audit_list.xlsx")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xxgk", description="政府信息公开工作年度报告 合规检查")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parse", help="parse reports into the canonical model (no checks, no warehouse)")
    p.add_argument("files", nargs="+", help="report files (.txt .md .html .htm .docx .pdf) or folders")
    p.add_argument("--json", action="store_true", help="one JSON object per file, one per line")
    p.set_defaults(handler=_parse_command)
    c = sub.add_parser("check", help="parse and validate reports (no warehouse); findings per report")
    c.add_argument("files", nargs="+", help="report files or folders")
    c.add_argument("--json", action="store_true", help="one JSON object per file, one per line")
    c.add_argument("--docs", metavar="DIR", help="folder for this check's GX project and Data Docs")
    c.add_argument("--register", help="register of bodies (CSV or YAML): enables REG-* rules")
    c.add_argument("--years", type=parse_years, help="report years every registered body must have filed, "
                   "e.g. 2022 or 2019-2024 (default: every year present)")
    c.add_argument("--engine", choices=("gx", "bare"), default="gx",
                   help="gx: Great Expectations suites + Data Docs (default); bare: plain Python, no docs")
    c.set_defaults(handler=_check_command)
    r = sub.add_parser("run", help="the nightly flow, locally: ingest, validate, load, summary")
    _run_options(r)
    r.add_argument("--engine", choices=("gx", "bare"), default="gx", help=argparse.SUPPRESS)
    r.add_argument("--progress", action="store_true", help="show progress bars even when not on a terminal")
    r.add_argument("--wait", type=float, default=30.0,
                   help="seconds to wait for another run or a reader holding the warehouse (default 30)")
    r.set_defaults(handler=_run_command)
    a = sub.add_parser("audit", help="the audit list: bodies with open failures")
    a.add_argument("--year", type=int)
    _warehouse_options(a)
    a.add_argument("--format", choices=("table", "csv", "json"), default="table")
    a.set_defaults(handler=_audit_command)
    v = sub.add_parser("review", help="confirm or waive a finding (by fingerprint)")
    v.add_argument("fingerprint")
    which = v.add_mutually_exclusive_group(required=True)
    which.add_argument("--confirm", action="store_true")
    which.add_argument("--waive", action="store_true")
    v.add_argument("--reason", required=True)
    v.add_argument("--reviewer")
    _warehouse_options(v)
    v.set_defaults(handler=_review_command)
    sy = sub.add_parser("synth", help="generate a synthetic city: register, reports, injected defects, labels")
    sy.add_argument("out")
    sy.add_argument("--bodies", type=int, default=60)
    sy.add_argument("--years", type=parse_years, default=parse_years("2019-2025"))
    sy.add_argument("--formats", default="txt,html,docx")
    sy.add_argument("--defect-rate", type=float, default=0.1)
    sy.add_argument("--seed", type=int, default=1)
    sy.set_defaults(handler=_synth_command)
    rp = sub.add_parser("report", help="rebuild the report site, the XLSX by county and the 整改通知 drafts")
    _warehouse_options(rp)
    rp.add_argument("--out", default="out", help="output folder (site in OUT/portal/)")
    rp.add_argument("--docs", help="the --docs folder of the runs (to link the Data Docs)")
    rp.set_defaults(handler=_report_command)
    s = sub.add_parser("serve", help="register the nightly deployment on a cron schedule (needs a Prefect server)")
    _run_options(s)
    s.add_argument("--cron", default="0 2 * * *")
    s.add_argument("--timezone", default="Asia/Shanghai")
    s.set_defaults(handler=_serve_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    offline.apply()
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return EXIT_FAILED
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
