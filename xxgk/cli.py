"""The ``xxgk`` command. Heavy libraries (Prefect, Great Expectations) are imported only by the
sub-commands that need them, so ``xxgk parse`` starts fast."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

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
    out: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")))
        else:
            out.append(path)
    return out


def _check_command(args: argparse.Namespace) -> int:
    from xxgk.check import check_paths, default_run_dir, exit_code, to_json, to_text

    run_dir = Path(args.docs) if args.docs else (None if args.engine == "bare" else default_run_dir())
    result = check_paths(_expand(args.files), run_dir, args.engine)
    for checked in result.checked:
        if args.json:
            print(json.dumps(to_json(checked), ensure_ascii=False), flush=True)
        else:
            print("\n".join(to_text(checked)), flush=True)
    if result.docs_index:
        print(f"Data Docs: {result.docs_index}", file=sys.stderr if args.json else sys.stdout)
    return exit_code(result)


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
    c.add_argument("--engine", choices=("gx", "bare"), default="gx",
                   help="gx: Great Expectations suites + Data Docs (default); bare: plain Python, no docs")
    c.set_defaults(handler=_check_command)
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
