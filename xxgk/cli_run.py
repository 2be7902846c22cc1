"""``xxgk run``: the checks before any work (``xxgk.preflight``), the nightly flow in this process, and the
run's summary: every file accounted for, bodies (机关) and reports (份) counted apart, the exit code."""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from xxgk.errors import UserError

if TYPE_CHECKING:
    from xxgk.settings import RunSettings

EXIT_OK, EXIT_FINDINGS, EXIT_FAILED = 0, 1, 2
OUTCOME_LABELS = {"failed": "解析失败", "partial": "部分解析", "unsupported": "格式不支持"}


def run_command(args: argparse.Namespace) -> int:
    """Check, then run (``run_checked``), then summarise. User errors raise ``UserError`` /
    ``WarehouseError`` (the caller prints them, exit 2); a failure of the pipeline itself is exit 2 too."""
    from warehouse.db import WarehouseError

    with quiet_expected_failures():
        try:
            outcome = run_checked(args)
        except (WarehouseError, UserError):
            raise
        except Exception as exc:  # noqa: BLE001 - the pipeline itself failed: say so, exit 2
            if args.debug:
                raise
            print(f"xxgk run: 运行失败（{exc.__class__.__name__}: {exc}）；仓库保持上一次完成运行的状态", file=sys.stderr)
            return EXIT_FAILED
    print_outcome(outcome)
    return exit_code(outcome)


def run_checked(args: argparse.Namespace) -> dict:
    """The run of ``xxgk run``, its outcome returned (the benchmark's fresh-interpreter night runs this very
    path): the checks before any work, then — once they pass, and before Prefect is imported — Prefect's
    temporary server launched (unless an API is named) and the parsing of the new files begun
    (``start_early``), then the nightly flow in this process (``flows.nightly.run_local``)."""
    try:
        settings = check_before_run(args)
    except BaseException:
        if getattr(args, "server_launched", False):
            from flows import local_server

            local_server.discard()     # launched for a run that does not take place
        raise
    started = start_early(args, settings)
    try:
        from flows.nightly import run_local
    except BaseException:
        if started:
            from xxgk import pool

            pool.drop_head_start()  # the parse begun for a run that does not take place
        raise
    return run_local(inputs=args.dirs, db=str(args.db), register=args.register, docs=str(args.docs),
                     out=str(args.out), engine=args.engine, show_progress=_progress(args), years=args.years,
                     wait=args.wait, allow_shrink=args.allow_shrink, harvest=args.harvest)


def _progress(args: argparse.Namespace) -> bool:
    return bool(args.progress or sys.stderr.isatty())


def launch_server(args: argparse.Namespace) -> bool:
    """Prefect's temporary server launched first thing, before the run's checks import anything (pandas and
    DuckDB alone take ~0.4 s, the checks as long again): it takes ~4 s to start, and the flow waits for it.
    ``flows.local_server.start_early``: not when an API is named. Recorded in ``args.server_launched``
    (``run_checked`` kills the server when the checks refuse the run). True when launched now."""
    from flows import local_server

    args.server_launched = local_server.start_early()
    return args.server_launched


def start_early(args: argparse.Namespace, settings: RunSettings) -> bool:
    """What ``xxgk run`` can begin before Prefect is imported (several seconds): Prefect's temporary server
    (``flows.local_server.start_early``, unless ``launch_server`` did already; not when an API is named), and
    while it starts, the parsing of the files this run will parse (``stages.head_start``, which only saves
    time: whatever goes wrong there the flow meets again and reports) and the import of Great Expectations
    and the report site in a thread (``stages.warm_up``). True when the server was launched for this run."""
    from flows import local_server

    launched = getattr(args, "server_launched", None)
    if not (launched if launched is not None else local_server.start_early()):
        return False
    if os.environ.get("XXGK_PARSE_WORKERS") != "0" and not args.harvest:  # a harvest adds files first
        from xxgk import stages

        try:
            to_parse: int | None = stages.head_start(settings)
        except Exception:  # noqa: BLE001
            logging.getLogger(__name__).debug("no head start", exc_info=True)
            to_parse = None
        stages.warm_up(args.engine, parser=to_parse != 0)  # nothing new: this run parses nothing here
    return True


def check_before_run(args: argparse.Namespace) -> RunSettings:
    """Everything a run can be refused for, before Prefect or GX is imported (``RunSettings.preflight``):
    input folders, register, a sharp shrink of the input, output folders, a warehouse held by another
    process. Returns the run's settings as far as these checks need them (inputs, warehouse, register)."""
    from xxgk import preflight
    from xxgk.harvest.evidence import harvested_folder
    from xxgk.settings import RunSettings

    folder = harvested_folder(Path(args.db))
    inputs = [Path(d) for d in args.dirs] + ([folder] if folder.is_dir() else [])
    if not inputs and not args.harvest:
        raise UserError("请给出报告所在的文件夹，或用 --harvest 从各机关网站采集；未运行")
    settings = RunSettings(inputs=tuple(inputs), db=Path(args.db),
                           register=Path(args.register) if args.register else None, docs=Path(args.docs),
                           out_dir=Path(args.out), lock_wait=args.wait, allow_shrink=args.allow_shrink)
    if not args.harvest:
        settings.preflight()
        return settings
    if not args.register:
        raise UserError("--harvest 需要 --register（机关名录中的 source_url 列）；未运行")
    for item in args.dirs:  # the harvest fills its folder; the rest is checked again after it
        preflight.input_files([item])
    preflight.register_bodies(args.register)
    settings.check_writable()
    return settings


def exit_code(outcome: dict) -> int:
    """0: no body 不合规 or 待核实; 1: some body is (BRIEF: exit codes of ``xxgk run``)."""
    bodies = outcome.get("bodies") or {}
    flagged = outcome.get("n_error_bodies", 0) or bodies.get("non_compliant", 0) or bodies.get("needs_review", 0)
    return EXIT_FINDINGS if flagged else EXIT_OK


def print_outcome(outcome: dict) -> None:
    """The run in a few lines: files, verdicts (reports and bodies apart), every file that could not be
    fully read with its reason, where the outputs are."""
    for line in outcome_lines(outcome):
        print(line)


def outcome_lines(outcome: dict) -> list[str]:
    files = outcome.get("files")
    lines = []
    if outcome.get("harvest"):
        from xxgk.harvest.command import summary_lines

        lines += summary_lines(outcome["harvest"])
    lines += [f"运行 {outcome['run_id']}：" + (_files_line(files) if files else
             f"{outcome['n_files']} 个文件，新解析 {outcome['n_parsed']} 个，未变化 {outcome['n_carried']} 个")]
    lines += _verdict_lines(outcome)
    problems = outcome.get("problem_files") or []
    if problems:
        lines.append(f"未能完整读取的文件（{len(problems)} 个）：")
        lines += [f"  [{OUTCOME_LABELS.get(p['outcome'], p['outcome'])}] {p['path']}：{p.get('reason') or '—'}"
                  for p in problems]
    if outcome.get("docs"):
        lines.append(f"Data Docs：{outcome['docs']}")
    if outcome.get("site"):
        lines.append(f"报告网站：{outcome['site']}（整改通知 {outcome.get('notices', 0)} 份）")
    return lines


def _files_line(files: dict) -> str:
    line = (f"找到 {files.get('found', 0)} 个文件：解析成功 {files.get('ok', 0)}、部分解析 {files.get('partial', 0)}、"
            f"解析失败 {files.get('failed', 0)}、格式不支持 {files.get('unsupported', 0)}"
            f"（新文件 {files.get('new', 0)}，未变化 {files.get('unchanged', 0)}）")
    if files.get("ignored"):
        line += f"；另有 {files['ignored']} 个非报告文件（如名录 .csv）未作为报告处理"
    return line


def _verdict_lines(outcome: dict) -> list[str]:
    verdicts, bodies = outcome.get("verdicts"), outcome.get("bodies")
    if not verdicts:
        return []
    line = (f"报告：不合规 {verdicts.get('non_compliant', 0)} 份，待核实 {verdicts.get('needs_review', 0)} 份，"
            f"合规 {verdicts.get('compliant', 0)} 份")
    missing = outcome.get("missing_filings") or {}
    if any(missing.values()):
        line += (f"；名录中未找到年报：不合规 {missing.get('non_compliant', 0)} 个机关年度，"
                 f"待核实 {missing.get('needs_review', 0)} 个")
    if bodies is not None:
        line += f"；机关：不合规 {bodies.get('non_compliant', 0)} 个，待核实 {bodies.get('needs_review', 0)} 个"
    return [line]


# ---------------------------------------------------------------- Prefect's logging of expected failures


def _expected() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(expected failures, the exceptions among them that are bugs, not the user's to fix)."""
    from warehouse.db import DuplicateFindings, WarehouseError

    return (UserError, WarehouseError), (DuplicateFindings,)


def _names(classes: tuple[type, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for cls in classes:
        out += [cls.__name__] + list(_names(tuple(cls.__subclasses__())))
    return tuple(out)


class QuietExpected(logging.Filter):
    """Drops Prefect's records about a flow or task that failed with one of our expected, already
    explained errors (a held warehouse, an unwritable folder …): the CLI prints one clear line instead of
    Prefect's traceback. Other failures are logged as usual."""

    def __init__(self) -> None:
        super().__init__()
        self.expected, self.bugs = _expected()
        self.names = tuple(n for n in _names(self.expected) if n not in _names(self.bugs))

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            return not isinstance(exc, self.expected) or isinstance(exc, self.bugs)
        message = record.getMessage()
        return not any(f"{name}(" in message or f"{name}:" in message for name in self.names)


@contextlib.contextmanager
def quiet_expected_failures() -> Iterator[None]:
    """``QuietExpected`` on the handlers that print or ship Prefect's logs, for the block."""
    quiet = QuietExpected()
    handlers = {h for name in ("", "prefect", "prefect.flow_runs", "prefect.task_runs")
                for h in logging.getLogger(name).handlers}
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)
