"""What ``xxgk run`` checks before any work (before Prefect starts): the input folders exist and hold
report files, the register loads, the input has not shrunk sharply since the last run, the outputs can be
written and no other process holds the warehouse. A failed check raises ``UserError`` (or a
``WarehouseError``) and leaves the warehouse, the audit list and the site exactly as they were."""
from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from xxgk.errors import UserError

SHRINK_FACTOR = 2  # a run finding fewer than 1/SHRINK_FACTOR of the previous run's files is refused


@dataclass(frozen=True)
class PreviousRun:
    run_id: str
    n_files: int


def input_files(items: Sequence[str]) -> list[Path]:
    """The report files of the input folders (``xxgk.pipeline.discover``, read only); ``UserError`` when a
    folder does not exist or cannot be read, or when no report file is found at all."""
    from xxgk.pipeline import REPORT_SUFFIXES

    for item in items:
        _must_be_readable(Path(item))
    found = found_files([Path(i) for i in items])
    if not found:
        others = _other_files(items)
        hint = f"；另有 {others} 不是可读取的报告格式" if others else ""
        raise UserError(f"在 {'、'.join(items)} 中没有找到报告文件（{' '.join(sorted(REPORT_SUFFIXES))}）{hint}；"
                        "未运行，仓库和审计清单未改动")
    return found


def found_files(paths: list[Path]) -> list[Path]:
    """The files a run accounts for: report files, and documents in a format no reader opens yet (they
    are listed as 待核实, never skipped); not the files that are no documents (a register .csv)."""
    from xxgk import pipeline

    if hasattr(pipeline, "survey"):  # migration 007 and after: unsupported documents count as found
        survey = pipeline.survey(paths)
        return survey.reports + survey.unsupported
    return pipeline.discover(paths)


def _must_be_readable(path: Path) -> None:
    if not path.exists():
        raise UserError(f"找不到报告文件夹 {path}（当前目录 {Path.cwd()}）；未运行，仓库和审计清单未改动")
    if path.is_dir() and not os.access(path, os.R_OK | os.X_OK):
        raise UserError(f"无法读取报告文件夹 {path}（没有权限）；未运行，仓库和审计清单未改动")


def _other_files(items: Sequence[str], shown: int = 4) -> str:
    """What else the input folders hold (e.g. “3 个文件：.doc×2、.wps×1”), for the no-report message."""
    kinds: Counter[str] = Counter()
    for item in items:
        root = Path(item)
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]
        kinds.update(p.suffix.lower() or "（无扩展名）" for p in files)
    if not kinds:
        return ""
    listed = "、".join(f"{k}×{n}" for k, n in kinds.most_common(shown))
    return f"{sum(kinds.values())} 个文件：{listed}"


def register_bodies(path: str | None) -> list:
    """The register's bodies (``rules.register.load_register``); ``UserError`` naming the file and the entry
    when it is missing, unreadable, empty, or has an entry without id or name, or an id twice."""
    from rules.register import RegisterError, load_register

    if not path:
        return []
    file = Path(path)
    if not file.is_file():
        raise UserError(f"找不到机关名录文件 {path}（当前目录 {Path.cwd()}）；未运行")
    try:
        bodies = load_register(file)
    except RegisterError as exc:  # it names the row and what is wrong with it
        raise UserError(f"{exc}（{path}）；未运行") from None
    except KeyError as exc:
        raise UserError(f"机关名录 {path} 缺少列 {exc}（需要 body_id,name,kind,parent_id,aliases）；未运行") from None
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError, OSError) as exc:
        raise UserError(f"机关名录 {path} 无法读取：{_register_problem(exc)}；未运行") from None
    _check_entries(path, bodies)
    return bodies


def _register_problem(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "不是 UTF-8 编码的文本（请另存为 UTF-8 CSV）"
    text = str(exc)
    unknown = re.match(r"register: unknown kind (.+) for (.+)$", text)
    if unknown:
        from rules.bodies import BODY_KINDS

        return (f"机关 {unknown.group(2)} 的 kind {unknown.group(1)} 不是已知类型"
                f"（只能是 {' / '.join(BODY_KINDS)}，或留空）")
    return text or exc.__class__.__name__


def _check_entries(path: str, bodies: list) -> None:
    """What ``load_register`` leaves to the caller: a register with no body at all."""
    if not bodies:
        raise UserError(f"机关名录 {path} 中没有机关；未运行")


def previous_run(db_path: Path) -> PreviousRun | None:
    """The latest completed run and how many files it had (``runs.n_found`` when recorded, else
    ``n_reports``); None without a warehouse or a completed run. Read only, without waiting."""
    from warehouse import db

    if not Path(db_path).exists():
        return None
    try:
        con, _ = db.connect_reader(Path(db_path))
    except db.WarehouseError:
        return None  # held or unreadable: the run's own checks say so
    try:
        columns = {r[0] for r in con.execute("DESCRIBE runs").fetchall()}
        count = "coalesce(n_found, n_reports)" if "n_found" in columns else "n_reports"
        row = con.execute(f"SELECT run_id, {count} FROM runs WHERE status = 'completed' "
                          "ORDER BY started_at DESC, run_id DESC LIMIT 1").fetchall()
    except Exception:  # noqa: BLE001 - not (yet) a warehouse with runs: nothing to compare with
        return None
    finally:
        con.close()
    return PreviousRun(row[0][0], int(row[0][1] or 0)) if row else None


def refuse_shrink(n_found: int, previous: PreviousRun | None) -> None:
    """``UserError`` (with a loud warning) when this run found fewer than half the previous run's files."""
    if previous is None or n_found * SHRINK_FACTOR >= previous.n_files:
        return
    raise UserError(f"警告：本次只找到 {n_found} 个报告文件，上一次完成的运行（{previous.run_id}）有 "
                    f"{previous.n_files} 个，不到一半。\n  输入文件夹是否拼写正确、共享盘是否已挂载？未运行，"
                    "仓库、审计清单和网站未改动；确认输入确实变少了，请加 --allow-shrink 重新运行。")
