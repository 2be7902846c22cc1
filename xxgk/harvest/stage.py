"""The harvest stage as plain functions: ``begin`` → ``harvest_bodies`` (over chunks of bodies, in threads
or as Prefect tasks) → ``finish`` (one warehouse transaction, the summary). ``run_harvest`` calls them one
after the other without Prefect; ``flows.harvest`` maps the chunks to Prefect tasks.

Where things go: every fetched byte in the raw archive (``<db dir>/raw/ab/abcd…``, by sha256, never
overwritten); each year's report file also in ``<db dir>/harvested/<body_id>/<year>/<sha256>.<ext>``, where
``xxgk run`` picks it up like any other report (a republished report replaces the older file there; the
older bytes stay in the archive); every attempt in ``fetches`` / ``fetch_log``.
"""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from rules.register import Body, load_register
from warehouse import fetches as evidence_store
from warehouse.db import archive_raw
from xxgk.harvest.article import one_per_year
from xxgk.harvest.client import ClientSettings, Fetched, HarvestClient
from xxgk.harvest.crawl import (BodyHarvest, Context, Found, Got, SourceResult, explore, fetch_candidate, names_of,
                                pick)

Progress = Callable[[str, int, int], None]  # (host, bodies done, bodies of that host)


@dataclass(frozen=True)
class HarvestSettings:
    """One harvest: the warehouse (its folder holds the raw archive and the harvested files), the years in
    scope (None: every year the sites list, and the last complete year), the client's manners."""

    db: Path
    register: Path | None = None
    years: tuple[int, ...] | None = None
    client: ClientSettings = field(default_factory=ClientSettings)
    max_list_pages: int = 30
    workers: int = 8  # bodies harvested at a time (the client still limits each host)
    lock_wait: float = 30.0

    @property
    def raw_root(self) -> Path:
        return Path(self.db).parent / "raw"

    @property
    def harvested_root(self) -> Path:
        return Path(self.db).parent / "harvested"


def default_year(today: date | None = None) -> int:
    """The report year a harvest looks for when none is given: the last complete calendar year."""
    return (today or date.today()).year - 1


@dataclass
class Harvest:
    """A harvest in progress (shared by the threads or tasks of its chunks)."""

    settings: HarvestSettings
    bodies: list[Body]
    ctx: Context
    harvest_id: str
    started_at: datetime
    log_rows: list[dict] = field(default_factory=list)
    results: list[BodyHarvest] = field(default_factory=list)
    progress: Progress | None = None
    _done: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def host_totals(self) -> Counter:
        return Counter(host_of(b) for b in self.bodies if b.source_urls)


def host_of(body: Body) -> str:
    return urlsplit(body.source_urls[0]).netloc if body.source_urls else ""


def begin(settings: HarvestSettings, bodies: list[Body] | None = None, progress: Progress | None = None) -> Harvest:
    """Read the register (unless given) and what earlier harvests left; open the client."""
    bodies = bodies if bodies is not None else load_register(settings.register) if settings.register else []
    previous = evidence_store.previous_harvests(settings.db)
    now = datetime.now(timezone.utc)
    harvest = Harvest(settings, bodies, None, now.strftime("H%Y%m%dT%H%M%S%fZ"), now.replace(tzinfo=None),  # type: ignore[arg-type]
                      progress=progress)
    client = HarvestClient(settings.client, on_request=lambda f, role, body_id: _log(harvest, f, role, body_id))
    harvest.ctx = Context(client, settings.raw_root, previous, names_of(bodies), settings.years, settings.max_list_pages)
    return harvest


def _log(harvest: Harvest, fetched: Fetched, role: str, body_id: str | None) -> None:
    """A row of the crawl log for every request; robots.txt files are archived too (everything fetched is
    kept; pages and files are archived by ``Context.get``)."""
    if role == "robots" and fetched.body is not None and harvest.ctx is not None:
        with harvest.ctx._lock:
            archive_raw(harvest.settings.raw_root, fetched.sha256, fetched.body)
    known = harvest.ctx.previous.urls.get(fetched.url) if harvest.ctx else None
    sha = fetched.sha256 or (known.sha256 if fetched.kind == "not_modified" and known else None)
    row = {"harvest_id": harvest.harvest_id, "body_id": body_id, "role": role, "url": fetched.url,
           "final_url": fetched.final_url, "http_status": fetched.status, "result": fetched.kind,
           "fetched_at": fetched.fetched_at, "sha256": sha, "content_type": fetched.content_type,
           "last_modified": fetched.last_modified, "etag": fetched.etag, "attempts": fetched.attempts,
           "error": fetched.error}
    with harvest._lock:
        harvest.log_rows.append(row)


def harvest_bodies(harvest: Harvest, bodies: list[Body], workers: int | None = None) -> list[BodyHarvest]:
    """Harvest a chunk of bodies (several at a time; the client keeps each host's limits)."""
    with ThreadPoolExecutor(max_workers=max(1, workers or harvest.settings.workers)) as threads:
        results = list(threads.map(lambda b: _one_body(harvest, b), bodies))
    with harvest._lock:
        harvest.results.extend(results)
    return results


def _one_body(harvest: Harvest, body: Body) -> BodyHarvest:
    try:
        result = harvest_body(harvest.ctx, body, harvest.harvest_id, harvest.settings.harvested_root)
    except Exception as exc:  # noqa: BLE001 - a bug or a page nothing foresaw must not stop the other bodies
        result = _crashed(harvest.harvest_id, body, exc)
    _advance(harvest, body)
    return result


def _advance(harvest: Harvest, body: Body) -> None:
    host = host_of(body)
    with harvest._lock:
        harvest._done[host] += 1
        done = harvest._done[host]
    if harvest.progress and host:
        harvest.progress(host, done, harvest.host_totals()[host])


def _crashed(harvest_id: str, body: Body, exc: Exception) -> BodyHarvest:
    rows = [_row(harvest_id, body, year=None, url=url, outcome="unreachable", source_url=url,
                 error=f"采集出错（{exc.__class__.__name__}: {exc}）") for url in body.source_urls]
    return BodyHarvest(body.body_id, [], rows, [])


# ---------------------------------------------------------------- one body


def harvest_body(ctx: Context, body: Body, harvest_id: str, harvested_root: Path) -> BodyHarvest:
    """Every source of the body explored, each year's report fetched, placed for ingest, and the rows."""
    sources = [explore(ctx, body, url) for url in body.source_urls]
    found, rows = [], []
    for s in sources:
        found.extend(_with_year(f) for f in s.direct)
    picked = pick([c for s in sources for c in s.candidates], body, ctx.names)
    listed = {s.url: s for s in sources}
    for year, cand in sorted(picked.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
        if ctx.years and year is not None and year not in ctx.years:
            continue
        source = next((s.url for s in sources if cand in s.candidates), body.source_urls[0])
        result = fetch_candidate(ctx, body, cand, source)
        if isinstance(result, list):
            found.extend(result)
        else:
            rows.append(_failed_candidate(harvest_id, body, cand, source, result))
    found = [f for f in found if not ctx.years or f.year is None or f.year in ctx.years]
    one_per_year(found)
    rows.extend(_found_rows(ctx, harvest_id, body, found, harvested_root, listed))
    undated = [f.got.fetched.url for f in found if f.year is None and f.got.usable]
    rows.extend(_conclusions(harvest_id, body, sources, rows, _scope(ctx, found, picked), undated))
    for source in sources:  # the bytes are archived and placed: do not keep them in memory
        source.direct = []
    return BodyHarvest(body.body_id, sources, rows, [])


def _with_year(found: Found) -> Found:
    """A document given directly whose URL names no year: the year the document itself states."""
    if found.year is not None or not found.got.usable:
        return found
    try:
        from parsing import parse_bytes

        found.year = parse_bytes(found.got.data, f"direct.{found.file_type}").year
    except Exception:  # noqa: BLE001 - unreadable: the year stays unknown, ingest reports the file
        pass
    return found


def _scope(ctx: Context, found: list[Found], picked: dict) -> list[int]:
    if ctx.years:
        return sorted(ctx.years)
    return sorted({f.year for f in found if f.year is not None} | {y for y in picked if y is not None}
                  | {default_year()})


def _failed_candidate(harvest_id: str, body: Body, cand, source: str, result: Got | str) -> dict:  # noqa: ANN001
    if isinstance(result, str):
        return _row(harvest_id, body, cand.year, cand.url, "not_found", source_url=source, title=cand.title,
                    page_date=cand.listed_on, date_source="列表" if cand.listed_on else None, error=result,
                    parent_url=source)
    f = result.fetched
    return _row(harvest_id, body, cand.year, cand.url, _failure_outcome(f), source_url=source, title=cand.title,
                page_date=cand.listed_on, date_source="列表" if cand.listed_on else None, parent_url=source,
                **_http(f), error=_failure_text(f, "报告页面"))


def _failure_outcome(f: Fetched) -> str:
    """robots.txt or the size limit: skipped on purpose; a 4xx on a report link: not there; else unreachable."""
    if f.kind == "robots" or (f.error or "").startswith("文件过大"):
        return "skipped"
    if f.kind == "http_error" and f.status is not None and 400 <= f.status < 500:
        return "not_found"
    return "unreachable"


def _failure_text(f: Fetched, what: str) -> str:
    if f.kind == "http_error":
        return f"{what}返回 HTTP {f.status}" + (f"（已重试 {f.attempts - 1} 次）" if f.attempts > 1 else "")
    retried = f"（已尝试 {f.attempts} 次）" if f.attempts > 1 else ""
    return f"{f.error or f.kind}{retried}"


def _http(f: Fetched) -> dict:
    return {"final_url": f.final_url, "http_status": f.status, "fetched_at": f.fetched_at,
            "content_type": f.content_type, "last_modified": f.last_modified, "etag": f.etag}


def _found_rows(ctx: Context, harvest_id: str, body: Body, found: list[Found], root: Path,
                sources: dict[str, SourceResult]) -> list[dict]:
    rows = []
    placed: dict[int | None, set[str]] = {}
    for f in found:
        if not f.got.usable:
            rows.append(_row(harvest_id, body, f.year, f.got.fetched.url, _failure_outcome(f.got.fetched),
                             title=f.title, page_date=f.page_date, date_source=f.date_source,
                             parent_url=f.parent.fetched.url if f.parent else None, page_title=f.page_title or None,
                             **_http(f.got.fetched), error=_failure_text(f.got.fetched, "附件")))
            continue
        rows.append(_found_row(ctx, harvest_id, body, f, root))
        if f.primary and rows[-1]["path"]:
            placed.setdefault(f.year, set()).add(Path(rows[-1]["path"]).name)
    for year, names in placed.items():
        _drop_superseded(root / body.body_id / str(year if year is not None else "unknown"), names)
    return rows


def _found_row(ctx: Context, harvest_id: str, body: Body, f: Found, root: Path) -> dict:
    before = ctx.previous.reports.get((body.body_id, f.year), set()) if f.year is not None else set()
    same = f.got.unchanged or f.got.sha256 in before  # the URL's bytes as last time, or the year's known report
    republished = bool(f.primary and before and not same)
    path = _place(root, body.body_id, f) if f.primary else None
    return _row(harvest_id, body, f.year, f.got.fetched.url, "unchanged" if same else f.outcome,
                sha256=f.got.sha256, title=f.title, page_date=f.page_date, date_source=f.date_source,
                parent_url=f.parent.fetched.url if f.parent else None,
                parent_sha256=f.parent.sha256 if f.parent else None, file_type=f.file_type,
                size_bytes=len(f.got.data or b""), path=str(path) if path else None, republished=republished,
                previous_sha256=sorted(before)[0] if republished else None, **_http(f.got.fetched),
                role=f.role, report_sha256=f.report.got.sha256 if f.report else f.got.sha256,
                page_title=f.page_title or None, choice=f.choice)


def _place(root: Path, body_id: str, f: Found) -> Path:
    """The report file where ingest finds it: ``<root>/<body_id>/<year>/<sha256>.<ext>`` (written once)."""
    folder = root / body_id / (str(f.year) if f.year is not None else "unknown")
    target = folder / f"{f.got.sha256}.{f.file_type or 'bin'}"
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + ".part")
        partial.write_bytes(f.got.data or b"")
        partial.replace(target)
    return target


def _drop_superseded(folder: Path, current: set[str]) -> None:
    """A body-year's older report files leave the ingest folder (their bytes stay in the raw archive)."""
    for old in folder.glob("*"):
        if old.is_file() and old.name not in current:
            old.unlink(missing_ok=True)


def _conclusions(harvest_id: str, body: Body, sources: list[SourceResult], rows: list[dict],
                 years: Iterable[int], undated: list[str] = ()) -> list[dict]:
    """Per year in scope without a report: why — each source that could not be reached or was not allowed,
    else (every source reached, nothing for the year) ``not_found`` per source. A report file whose year
    could not be told may be that year's: then the year is ``skipped`` (to be checked by hand), not absent."""
    out = []
    covered = {r["year"] for r in rows}
    for year in years:
        if year in covered:
            continue
        if undated:
            out += [_row(harvest_id, body, year, url, "skipped", error=f"网站上有一份未能识别年度的报告文件，"
                         f"可能即 {year} 年度报告，请人工核对") for url in undated]
            continue
        unreached = [s for s in sources if not s.reached]
        for s in unreached or sources:
            if s.reached:
                out.append(_row(harvest_id, body, year, s.url, "not_found", source_url=s.url, http_status=s.status,
                                error=f"网站可访问，未发现 {year} 年度报告"))
            else:
                out.append(_row(harvest_id, body, year, s.url, "skipped" if s.skipped else "unreachable",
                                source_url=s.url, http_status=s.status, error=s.error))
    return out


def _row(harvest_id: str, body: Body, year: int | None, url: str, outcome: str, **values: object) -> dict:
    """A ``fetches`` row (its ``fetch_id`` is given when the harvest is written)."""
    row = dict.fromkeys(evidence_store.FETCH_COLUMNS)
    row.update(values)
    row.update({"harvest_id": harvest_id, "body_id": body.body_id,
                "year": year, "url": url, "outcome": outcome})
    if row["source_url"] is None:
        row["source_url"] = body.source_urls[0] if body.source_urls else None
    return row


# ---------------------------------------------------------------- the end


def finish(harvest: Harvest) -> dict:
    """Write the evidence (one transaction) and return the summary."""
    harvest.ctx.client.close()
    results = sorted(harvest.results, key=lambda r: r.body_id)
    rows = [row for r in results for row in r.rows]
    _unique_ids(rows)
    summary = summarise(harvest, results)
    evidence_store.record_harvest(harvest.settings.db, summary, rows, harvest.log_rows, harvest.settings.lock_wait,
                                  readings=_readings(harvest))
    return summary


def _readings(harvest: Harvest) -> list[dict]:
    """What this harvest's parser read of new files (a later harvest does not read them again)."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    return [{"sha256": sha, "file_type": file_type, "year": r.year, "cells_read": r.cells, "sections_read": r.sections,
             "parse_status": r.status, "read_at": now} for sha, (file_type, r) in sorted(harvest.ctx.fresh.items())]


def _unique_ids(rows: list[dict]) -> None:
    for n, row in enumerate(rows, start=1):
        row["fetch_id"] = f"{row['harvest_id']}-{n:06d}"


def summarise(harvest: Harvest, results: list[BodyHarvest]) -> dict:
    """Bodies reached, reports found, new / changed / unchanged, unreachable sites, per host."""
    rows = [row for r in results for row in r.rows]
    placed = [r for r in rows if r["path"]]
    with_sources = [b for b in harvest.bodies if b.source_urls]
    by_id = {b.body_id: b for b in harvest.bodies}
    unreachable = [{"body_id": r.body_id, "name": by_id[r.body_id].name,
                    "sources": [{"url": s.url, "error": s.error} for s in r.sources if not s.reached]}
                   for r in results if not r.reached]
    years = sorted({r["year"] for r in placed if r["year"] is not None})
    return {
        "harvest_id": harvest.harvest_id, "started_at": harvest.started_at,
        "finished_at": datetime.now(timezone.utc).replace(tzinfo=None),
        "register": str(harvest.settings.register) if harvest.settings.register else None,
        "years": list(harvest.settings.years) if harvest.settings.years else None,
        "user_agent": harvest.settings.client.user_agent,
        "bodies": len(with_sources), "bodies_reached": sum(1 for r in results if r.reached),
        "bodies_unreachable": len(unreachable), "bodies_without_source": len(harvest.bodies) - len(with_sources),
        "reports_found": len({(r["body_id"], r["year"], r["sha256"]) for r in placed}),  # one per article
        "linked_files": sum(1 for r in rows if r["role"] in ("duplicate", "annex")),  # kept, not judged again
        "files_read": len(harvest.ctx.fresh) if harvest.ctx else 0,  # parsed to tell an article's report
        "report_years": years,
        "new": sum(1 for r in placed if r["outcome"] in ("report", "attachment") and not r["republished"]),
        "changed": sum(1 for r in placed if r["republished"]),
        "unchanged": sum(1 for r in placed if r["outcome"] == "unchanged"),
        "not_found": [{"body_id": b, "year": y} for b, y in sorted({(r["body_id"], r["year"] or 0) for r in rows
                                                                     if r["outcome"] == "not_found"})],
        "unreachable_sites": unreachable,
        "outcomes": dict(Counter(r["outcome"] for r in rows)),
        "requests": len(harvest.log_rows),
        "conditional_hits": sum(1 for r in harvest.log_rows if r["result"] == "not_modified"),
        "hosts": _per_host(harvest.log_rows),
        "folder": str(harvest.settings.harvested_root),
    }


def _per_host(log_rows: list[dict]) -> dict[str, dict[str, int]]:
    out: dict[str, Counter] = {}
    for row in log_rows:
        out.setdefault(urlsplit(row["url"]).netloc, Counter())[row["result"]] += 1
    return {host: dict(counts) for host, counts in sorted(out.items())}


def chunks(bodies: list[Body], size: int = 20) -> list[list[Body]]:
    """Bodies with sources in chunks, grouped by host (one host's bodies together, hosts interleaved)."""
    with_sources = sorted((b for b in bodies if b.source_urls), key=lambda b: (host_of(b), b.body_id))
    return [with_sources[i:i + size] for i in range(0, len(with_sources), size)]


def run_harvest(settings: HarvestSettings, bodies: list[Body] | None = None, progress: Progress | None = None) -> dict:
    """The whole harvest without Prefect (the flow calls the same functions)."""
    harvest = begin(settings, bodies, progress)
    try:
        for chunk in chunks(harvest.bodies):
            harvest_bodies(harvest, chunk)
    finally:
        harvest.ctx.client.close()
    return finish(harvest)
