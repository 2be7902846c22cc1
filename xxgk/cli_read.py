"""The commands that read the warehouse — ``xxgk audit``, ``xxgk sql``, ``xxgk report`` — and ``xxgk review``,
which records a decision. None of them ever creates a warehouse: a missing one is reported as missing. The
readers open it read-only (or its analysts' snapshot when another process holds it), so an analyst's open
session does not block them."""
from __future__ import annotations

import argparse
import getpass
import json
import math
import sys
from pathlib import Path
from typing import Any

from xxgk import terminal

EXIT_OK, EXIT_FAILED = 0, 2
FINDING_COLUMNS = {"fingerprint": "指纹", "body_name": "机关名称", "year": "年度", "rule_id": "规则",
                   "severity": "级别", "message": "问题说明", "review_decision": "复核"}
PENDING_COLUMNS = {"body_name": "机关名称", "year": "年度", "report_id": "报告编号", "reasons": "待核实原因"}
AUDIT_TABLE = ("body_name", "year", "n_errors", "n_warnings", "rule_ids", "republished")


def audit_command(args: argparse.Namespace) -> int:
    """The audit list (default), the open findings with their fingerprints (``--findings``) or the reports
    that need review (``--pending``), as a table, CSV or JSON lines."""
    from warehouse import exports

    if args.findings:
        frame, columns, empty = exports.findings_frame(args.db, args.year), FINDING_COLUMNS, "没有未处理的不合规项"
    elif args.pending:
        frame, columns, empty = exports.pending_frame(args.db, args.year), PENDING_COLUMNS, "没有待核实的报告"
    else:
        frame, columns, empty = exports.audit_frame(args.db, args.year), None, "审计清单为空：最近一次运行没有未处理的不合规项"
    if args.format == "json":
        print_json_lines(frame)
    elif args.format == "csv":
        (exports.chinese(frame) if columns is None else frame[list(columns)].rename(columns=columns)) \
            .to_csv(sys.stdout, index=False)
    elif frame.empty:
        print(empty)
    elif args.pending:
        print("\n".join(pending_lines(frame)))
    else:
        names = columns or {c: exports.HEADERS[c] for c in AUDIT_TABLE}
        print(terminal.table(list(names.values()), frame[list(names)].itertuples(index=False),
                             max_width=args.width))
    if args.format == "table" and not args.pending:
        _mention_pending(args)
    return EXIT_OK


def pending_lines(frame) -> list[str]:  # noqa: ANN001 - pandas.DataFrame
    """Each report that needs review: body, year and file, then every reason on its own line (in full)."""
    lines = [f"待核实报告：{len(frame)} 份（未能完整检查，不能算合规；请人工核实）"]
    for row in frame.itertuples(index=False):
        where = row.source_path or row.report_id
        lines.append(f"● {row.body_name or '（未识别机关）'} {terminal.cell_text(row.year) or '年度不明'}（{where}）")
        lines += [f"    - {reason}" for reason in (row.reasons if row.reasons is not None else [])]
    return lines


def _mention_pending(args: argparse.Namespace) -> None:
    """Under the table: how many reports need review (they are not on the audit list, and not compliant)."""
    from warehouse import db, exports

    try:
        pending = exports.pending_frame(args.db, args.year)
    except db.WarehouseError:
        return  # a warehouse from before migration 007: no verdicts to count
    if not pending.empty:
        print(f"另有 {len(pending)} 份报告待核实（未能完整检查，不能算合规）：xxgk audit --pending")


def print_json_lines(frame) -> None:  # noqa: ANN001 - pandas.DataFrame
    for record in frame.to_dict(orient="records"):
        print(json.dumps({k: plain(v) for k, v in record.items()}, ensure_ascii=False, default=str))


def plain(value: Any) -> Any:
    """A value JSON can carry: arrays as lists, NaN / NaT as null, numpy scalars as Python numbers."""
    if value is None:
        return None
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if type(value).__name__ in ("NaTType", "NAType"):
        return None
    return value


def sql_command(args: argparse.Namespace) -> int:
    """One SQL query over the analysts' read-only snapshot (or the warehouse, read-only, when there is no
    snapshot): a table, CSV or JSON lines. Nothing can be written through it."""
    import duckdb

    from warehouse import db

    con, source = db.connect_reader(args.db, prefer_snapshot=True)
    try:
        frame = con.execute(args.query).df()
    except duckdb.Error as exc:
        print(f"xxgk sql: {_sql_problem(exc)}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        con.close()
    if args.format == "json":
        print_json_lines(frame)
    elif args.format == "csv":
        frame.to_csv(sys.stdout, index=False)
    else:
        print(terminal.table(list(frame.columns), frame.itertuples(index=False), max_width=args.width))
        print(f"（{len(frame)} 行；读自 {source}）", file=sys.stderr)
    return EXIT_OK


def _sql_problem(exc: Exception) -> str:
    text = str(exc).strip()
    if "read-only" in text.lower() or "read only" in text.lower():
        return f"只读：xxgk sql 只能查询（SELECT），不能修改仓库（{text.splitlines()[0]}）"
    return f"SQL 错误：{text.splitlines()[0] if text else exc.__class__.__name__}"


def review_command(args: argparse.Namespace) -> int:
    """Record a decision (confirmed / waived) on a finding by fingerprint, with who decided (``--reviewer``,
    default the OS user); then refresh the analysts' snapshot."""
    from warehouse import db

    reviewer = (args.reviewer or "").strip() or _os_user()
    if not reviewer:
        print("xxgk review: 请用 --reviewer 注明复核人", file=sys.stderr)
        return EXIT_FAILED
    decision = "confirmed" if args.confirm else "waived"
    path = Path(args.db)
    if not path.exists():
        raise db.WarehouseMissing(f"仓库不存在：{path.absolute()}（先运行 xxgk run，或用 --db 指定）")
    con = db.connect(path, wait_seconds=args.wait)
    try:
        db.add_review(con, args.fingerprint, decision, args.reason, reviewer)
    except ValueError as exc:
        print(f"xxgk review: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        con.close()
    db.refresh_snapshot(path)
    label = "确认" if decision == "confirmed" else "豁免"
    print(f"已记录：{args.fingerprint} → {label}（{args.reason}；复核人 {reviewer}）")
    return EXIT_OK


def _os_user() -> str:
    try:
        return getpass.getuser().strip()
    except (KeyError, OSError):  # no user name in the environment or the password database
        return ""


def _must_be_writable(folder: Path) -> None:
    """``UserError`` naming the output folder when it cannot be written (before anything is built)."""
    from xxgk.errors import UserError
    from xxgk.settings import unwritable

    problem = unwritable(folder)
    if problem:
        raise UserError(f"无法写入输出文件夹 {folder}：{problem}")


def report_command(args: argparse.Namespace) -> int:
    """Rebuild the report site, the XLSX by county and the 整改通知 drafts (from the snapshot when another
    process holds the warehouse)."""
    import portal

    from warehouse import db

    con, source = db.connect_reader(args.db)
    con.close()
    _must_be_writable(Path(args.out))
    built = portal.build_all(source, Path(args.out), Path(args.docs) if args.docs else None)
    print(f"报告网站：{built['site']}")
    print(f"分区县清单：{built['audit_by_county']}")
    print(f"整改通知：{len(built['notices'])} 份，在 {built['notices_dir']}")
    return EXIT_OK
