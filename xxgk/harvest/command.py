"""``xxgk harvest``: fetch the registered bodies' reports from their websites into the warehouse.

    xxgk harvest --register bodies.csv [--years 2022-2023] [--db warehouse/xxgk.duckdb] [--out out]

The reports land in ``<db dir>/harvested/<body_id>/<year>/`` (and every byte in the raw archive); a
following ``xxgk run --register bodies.csv --db …`` checks them. Exit codes: 0 = done, every site
reached; 1 = done, some site could not be reached (listed; their bodies are 待核实); 2 = no harvest (bad
register, warehouse held by another process …).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_UNREACHABLE, EXIT_FAILED = 0, 1, 2
USER_AGENT_ENV = "XXGK_USER_AGENT"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``xxgk harvest`` (also used for the harvest part of ``xxgk run --harvest``)."""
    from xxgk.harvest.client import ClientSettings

    d = ClientSettings()
    parser.add_argument("--register", required=True, help="register of bodies (CSV or YAML) with a source_url column")
    parser.add_argument("--years", type=_years, help="report years to fetch, e.g. 2023 or 2019-2024 "
                        "(default: every year the sites list, and the last complete year)")
    parser.add_argument("--db", help="DuckDB file (its folder holds raw/ and harvested/; default "
                        "<项目目录>/warehouse/xxgk.duckdb)")
    parser.add_argument("--out", help="folder for harvest_summary.json (default <项目目录>/out)")
    parser.add_argument("--user-agent", default=os.environ.get(USER_AGENT_ENV) or d.user_agent,
                        help=f"User-Agent naming the office and a contact (or ${USER_AGENT_ENV})")
    parser.add_argument("--delay", type=float, default=d.delay, help=f"seconds between requests to one host ({d.delay:g})")
    parser.add_argument("--per-host", type=int, default=d.per_host, help=f"requests at a time per host ({d.per_host})")
    parser.add_argument("--timeout", type=float, default=d.timeout, help=f"seconds without an answer ({d.timeout:g})")
    parser.add_argument("--retries", type=int, default=d.retries, help=f"retries after a 5xx or timeout ({d.retries})")
    parser.add_argument("--max-mb", type=float, default=d.max_bytes / 2**20, help="largest file fetched, MB (20)")
    parser.add_argument("--max-pages", type=int, default=30, help="list pages followed per source (30)")
    parser.add_argument("--plain", action="store_true", help="run without Prefect (same functions, no flow run)")
    parser.add_argument("--progress", action="store_true", help="progress per host even when not on a terminal")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the warehouse (30)")


def _years(text: str) -> list[int]:
    years: list[int] = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        years.extend(range(int(first), int(last or first) + 1))
    return years


def settings_from(args: argparse.Namespace):  # noqa: ANN201 - xxgk.harvest.stage.HarvestSettings
    from xxgk.harvest.client import ClientSettings
    from xxgk.harvest.stage import HarvestSettings

    client = ClientSettings(user_agent=args.user_agent, timeout=args.timeout, retries=max(0, args.retries),
                            max_bytes=int(args.max_mb * 2**20), per_host=max(1, args.per_host),
                            delay=max(0.0, args.delay))
    return HarvestSettings(Path(args.db), Path(args.register), tuple(args.years) if args.years else None, client,
                           max_list_pages=args.max_pages, lock_wait=args.wait)


def main(args: argparse.Namespace) -> int:
    """Run the harvest, print its summary; the exit code says whether every site was reached."""
    from rules.register import RegisterError, load_register
    from warehouse.db import WarehouseError

    try:
        settings = settings_from(args)
        bodies = load_register(settings.register)
    except (RegisterError, OSError, ValueError) as exc:
        print(f"xxgk harvest: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if not any(b.source_urls for b in bodies):
        print("xxgk harvest: 机关名录中没有 source_url（各机关发布年度报告的网址），无可采集", file=sys.stderr)
        return EXIT_FAILED
    progress = HostProgress() if (args.progress or sys.stderr.isatty()) else None
    try:
        with _run_lock(settings):  # one writer per warehouse: not while a nightly run reads the harvested files
            summary = _run(settings, bodies, progress, args.plain)
    except WarehouseError as exc:
        print(f"xxgk harvest: {exc}", file=sys.stderr)
        return EXIT_FAILED
    write_summary(summary, Path(args.out))
    print(json.dumps(summary, ensure_ascii=False, default=str) if args.json else "\n".join(summary_lines(summary)))
    return EXIT_UNREACHABLE if summary["bodies_unreachable"] else EXIT_OK


def _run_lock(settings):  # noqa: ANN001, ANN202 - a context manager
    """The warehouse's run lock (``xxgk run`` takes the same one; ``xxgk run --harvest`` harvests inside it)."""
    from xxgk.settings import RunSettings

    return RunSettings(inputs=(), db=settings.db, lock_wait=settings.lock_wait).run_lock()


def _run(settings, bodies, progress, plain: bool) -> dict:  # noqa: ANN001
    if plain:
        from xxgk.harvest.stage import run_harvest

        return run_harvest(settings, bodies, progress)
    from flows.harvest import run_harvest_flow

    return run_harvest_flow(settings, bodies, progress)


def write_summary(summary: dict, out: Path) -> Path:
    """``<out>/harvest_summary.json`` (the latest harvest; every harvest's is also in the warehouse)."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / "harvest_summary.json"
    target.write_text(json.dumps(summary, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return target


def summary_lines(s: dict) -> list[str]:
    """The summary in Chinese, for the terminal (and ``xxgk run --harvest``)."""
    lines = [f"采集 {s['harvest_id']}：机关 {s['bodies']} 个（网站可访问 {s['bodies_reached']}，无法访问 "
             f"{s['bodies_unreachable']}），找到年度报告 {s['reports_found']} 份（新 {s['new']}，网站上已更新 "
             f"{s['changed']}，未变化 {s['unchanged']}），请求 {s['requests']} 次（未修改 304：{s['conditional_hits']}）"]
    if s.get("linked_files"):
        lines.append(f"一篇文章的网页与附件算一份报告：另有 {s['linked_files']} 个文件（同一报告的副本、附表等）已存档并关联，"
                     "不重复检查")
    if s["unreachable_sites"]:
        lines.append("无法访问的网站（这些机关列为待核实）：")
        lines += [f"  {u['name']}（{u['body_id']}）：{src['url']} — {src['error']}"
                  for u in s["unreachable_sites"] for src in u["sources"]]
    if s["not_found"]:
        missing = sorted({f"{m['body_id']} {m['year']}" for m in s["not_found"]})
        lines.append(f"网站可访问但未发现报告：{'、'.join(missing)}")
    lines.append(f"报告文件：{s['folder']}（xxgk run 会检查它们）")
    return lines


class HostProgress:
    """One progress line on stderr for the whole harvest, with each host's bodies done / total; a host's
    final line is kept when it completes."""

    def __init__(self) -> None:
        self.hosts: dict[str, tuple[int, int]] = {}

    def __call__(self, host: str, done: int, total: int) -> None:
        self.hosts[host] = (done, total)
        finished = sum(d for d, _ in self.hosts.values())
        width = 20
        known = sum(t for _, t in self.hosts.values())
        filled = int(width * finished / known) if known else width
        sys.stderr.write(f"\r采集 [{'#' * filled}{'.' * (width - filled)}] 主机 {host}：{done}/{total} 个机关")
        sys.stderr.write("\n" if done >= total else "")
        sys.stderr.flush()


def standalone(argv: list[str] | None = None) -> int:
    """``python -m xxgk.harvest.command …`` (until ``xxgk harvest`` is wired into ``xxgk.cli``)."""
    from xxgk import offline

    offline.apply()
    parser = argparse.ArgumentParser(prog="xxgk harvest", description="从各机关网站采集政府信息公开工作年度报告")
    add_arguments(parser)
    return main(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(standalone())
