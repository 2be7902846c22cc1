"""What the oversight office reads: a static offline website, the audit list by county, 整改通知 drafts.

    from portal import build_all
    build_all(Path("warehouse/xxgk.duckdb"), Path("out"), docs_root=Path("out/docs"))
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TypeVar

from portal import data
from portal.exports import write_audit_by_county
from portal.names import slug
from portal.digests import shown_rules_key
from portal.notice_drafts import DraftCache
from portal.notices import draft_jobs, file_drafts, notice_targets, today_in_china, write_drafts, write_notices
from portal.site import build_site, done_in, plan_site, write_site
from rules.catalogue import catalogue
from warehouse import connection

AUDIT_XLSX, AUDIT_CSV = "audit_list.xlsx", "audit_list.csv"   # written by warehouse.exports
T = TypeVar("T")
DRAFT_CACHE = ".cache"      # beside the runs' draft folders: drafts' filled text, reused by later builds

__all__ = ["build_all", "build_site", "write_audit_by_county", "write_notices"]


def build_all(db_path: Path, out_dir: Path, docs_root: Path | None = None, pool: Executor | None = None,
              audit: Callable[[Path, Path], T] | None = None) -> dict:
    """Build everything from the latest completed run of ``db_path`` under ``out_dir``:

    ``out_dir/portal/index.html`` (the site), ``out_dir/audit_by_county.xlsx`` and
    ``out_dir/notices/<run id>/整改通知_….docx`` with their index (``index.html``, ``index.csv``; drafts no
    longer current are moved into ``已撤销/`` there). The site links the drafts and the spreadsheets (relative
    links). With a process ``pool`` (the run's parser processes, idle by then), the drafts, the county
    spreadsheet and the body pages that only need a new draft link are written there while this process
    writes the rest of the site; without one, the drafts and the county spreadsheet are written in threads
    (compression, file writes and DuckDB run without holding the GIL). ``audit(db_path, out_dir)`` (the audit
    list, ``warehouse.exports.write_audit``) is called in a thread while the run is read, and done before the
    site (which links its files) is written. Returns ``{"site", "audit_by_county", "notices_dir",
    "notices", "notices_index", "audit"}`` (paths; ``notices`` a list; ``notices_index`` None when there is no
    draft; ``audit`` what ``audit`` returned, or None)."""
    out_dir = Path(out_dir)
    with data.collector_paused(), ThreadPoolExecutor(max_workers=3, thread_name_prefix="portal") as threads:
        audited = threads.submit(audit, db_path, out_dir) if audit is not None else None
        # alongside the rest: in the pool (another interpreter), else in a thread (mostly a query, which
        # DuckDB runs without holding the GIL); in a thread too while this process holds the warehouse open
        # (a small run, through its summary): no other process can open it then
        sheets_in = pool if pool is not None and not connection.held_open(Path(db_path)) else threads
        county_sheets = sheets_in.submit(write_audit_by_county, db_path, out_dir)
        snap = data.load(Path(db_path), details=False)   # the body pages read the details they need
        notices_dir = out_dir / "notices" / slug(snap.run.run_id if snap.run else "none", "run")
        cache_dir = out_dir / "notices" / DRAFT_CACHE
        targets = notice_targets(snap, notices_dir)
        drafts = {body.key: path for body, path in targets}
        cache = DraftCache(cache_dir)
        plan = plan_site(snap, out_dir / "portal", drafts, bool(targets))   # a draft per target is written
        pages = plan.to_render(snap)        # their details read with the drafts' (one query), unless many
        jobs = draft_jobs(snap, targets, today=today_in_china(), cache=cache,
                          also=pages if len(pages) <= data.GROUP else ())
        rules_key = shown_rules_key(catalogue())
        drafting, written = None, []
        if not jobs:
            written = write_drafts(jobs, None, rules_key, cache_dir, cache)   # the cache drops what is unused
        else:
            drafting = (pool.submit(write_drafts, jobs, None, rules_key, cache_dir) if pool is not None
                        else threads.submit(write_drafts, jobs, None, rules_key, cache_dir, cache))
        notices_index = file_drafts(snap, notices_dir, targets)
        by_county = done_in(county_sheets, lambda: write_audit_by_county(db_path, out_dir))
        audited_result = audited.result() if audited is not None else None
        downloads = {"审计清单（Excel）": out_dir / AUDIT_XLSX, "分区县审计清单（Excel）": by_county,
                     "审计清单（CSV）": out_dir / AUDIT_CSV}
        if notices_index is not None:
            downloads["整改通知清单"] = notices_index
        site = write_site(snap, out_dir / "portal", docs_root, drafts, downloads, drafting is not None, pool,
                          plan)
        if drafting is not None:
            written = done_in(drafting, partial(write_drafts, jobs, None, rules_key, cache_dir))
        # let the run's objects go while the collector is paused: once resumed, it would walk them all
        del snap, targets, jobs, cache, plan, pages
    if sorted(map(str, written)) != sorted(map(str, drafts.values())):
        raise RuntimeError(f"整改通知未全部写出：{notices_dir}")
    return {"site": site, "audit_by_county": by_county, "notices_dir": notices_dir, "notices": written,
            "notices_index": notices_index, "audit": audited_result}
