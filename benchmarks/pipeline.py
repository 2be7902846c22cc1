"""Benchmark: the whole nightly flow at several corpus sizes, against the same work done "bare".

    python -m benchmarks.pipeline --reports 1000,5000,10000

For each size N it generates (or reuses, under ``benchmarks/corpus/N``) a synthetic city of N txt reports
(``synth.city``: N/5 bodies × 2019–2023, register, 5 % defects), then, each in a fresh interpreter:

* **flow**: the ``nightly`` flow as ``xxgk run`` runs it (``flows.nightly.run_local``) (Prefect local mode, so the first flow of the process
  starts Prefect's temporary server; GX suites + Data Docs; DuckDB load; summary with the report site and
  整改通知 drafts) on a new warehouse. Per stage (parse, validate, load, summary): wall seconds; reports per
  second; peak RSS of the whole process tree (this process, the parser workers, Prefect's server), sampled.
* **rerun**: the same flow again in the same process with nothing changed (every file skipped by sha256).
* **dask** (``--dask N``, at the sizes up to N): the flow with its ingest tasks on Prefect's Dask task runner over a local cluster.
* **nights** (``--nights N``, at the sizes from N up): the warehouse as the cache (``benchmarks.nights``). A
  first run over the city with its last 60 reports held back, then 20 new reports in a **fresh interpreter**
  (as ``xxgk run`` runs each night: Prefect's temporary server and the imports included), 20 more in a fresh
  interpreter with the server running (as a served deployment runs each night), 20 more in the same process
  (imports done, the server up: the flow's own cost), then a run with **only the rules changed** (the
  catalogue's version differs, the parser's does not: every report judged again from its stored facts).
  Each with its wall seconds, its share of the first run, what it parsed and judged, and its peak RSS.
* **workers** (``--workers-at N``): the first run at size N with 1 and with 2 parser processes.
* **large** (``--large N``, opt-in, e.g. 100000): the first run only at size N (its city generated once, an
  hour or more on a 2-core machine), for its peak RSS and whether the cost stays linear.
* **bare**: the very same stage functions (``xxgk.stages.run_plain``) with no Prefect and the plain-Python rule
  engine instead of GX: same parse, same per-report work in the same worker pool, same warehouse load, same
  summary. ``flow / bare`` is therefore what Prefect and GX cost, measured in the same run.

Before each size it takes a **cpu probe** (``cpu_probe``: seconds of two fixed pieces of pure Python), so that
figures of runs at different hours of this shared virtual machine can be told apart from code changes.
It prints a table and writes the figures as JSON (``--json``, default ``benchmarks/results.json``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.memory import PeakMemory, Sampler, tree_stats  # noqa: F401 - Sampler, tree_stats: used by flow_cpu
from benchmarks.nights import (HELD_BACK, _link_tree, _night, _rounded, _settings_args,  # noqa: F401 - used by scripts
                               nights_table, probe_text as _probe_text, run_nights, run_one_night)

ROOT = Path(__file__).resolve().parents[1]
YEARS = range(2019, 2024)


def corpus(n: int, root: Path) -> Path:
    """A synthetic city with ``n`` reports (generated once, then reused)."""
    from synth.city import generate_city

    folder = root / str(n)
    if not (folder / "manifest.json").exists():
        generate_city(folder, bodies=max(n // len(YEARS), 1), years=YEARS, formats=["txt"], defect_rate=0.05, seed=11)
    return folder


# ---------------------------------------------------------------- one measurement (in a fresh interpreter)


def run_flow(folder: Path, work: Path) -> dict:
    from xxgk import offline

    offline.apply()
    with PeakMemory() as memory:
        from flows.nightly import run_local

        start = time.perf_counter()
        first = run_local(**_settings_args(folder, work))
        first_wall = time.perf_counter() - start
        start = time.perf_counter()
        second = run_local(**_settings_args(folder, work))
        rerun_wall = time.perf_counter() - start
    return {"wall_s": round(first_wall, 2), "stages_s": _rounded(first["timings"]), "files": first["n_files"],
            "rerun_wall_s": round(rerun_wall, 2), "rerun_stages_s": _rounded(second["timings"]),
            "rerun_parsed": second["n_parsed"], "peak_rss_mb": round(memory.peak_mb, 1), "at_peak": memory.at_peak}



def run_dask(folder: Path, work: Path) -> dict:
    """The nightly flow with its ingest tasks on Prefect's Dask task runner over a local cluster."""
    from xxgk import offline

    offline.apply()
    with PeakMemory() as memory:
        from flows.nightly import run_local

        start = time.perf_counter()
        first = run_local(**_settings_args(folder, work), dask="local")
        wall = time.perf_counter() - start
    return {"wall_s": round(wall, 2), "stages_s": _rounded(first["timings"]), "files": first["n_files"],
            "peak_rss_mb": round(memory.peak_mb, 1)}


def run_bare(folder: Path, work: Path) -> dict:
    from xxgk import offline

    offline.apply()
    with PeakMemory() as memory:
        from xxgk.settings import RunSettings
        from xxgk.stages import run_plain

        a = _settings_args(folder, work)
        settings = RunSettings((Path(a["inputs"][0]),), Path(a["db"]), Path(a["register"]), Path(a["docs"]),
                               Path(a["out"]), engine="bare")
        start = time.perf_counter()
        first = run_plain(settings)
        wall = time.perf_counter() - start
    return {"wall_s": round(wall, 2), "stages_s": _rounded(first["timings"]), "files": first["n_files"],
            "peak_rss_mb": round(memory.peak_mb, 1)}


def _child(mode: str, n: int, folder: Path, **env: str) -> dict:
    """Run one measurement in a fresh interpreter (clean memory figures, cold Prefect and GX)."""
    with tempfile.TemporaryDirectory() as work:
        cmd = [sys.executable, "-m", "benchmarks.pipeline", "--one", mode, "--corpus", str(folder), "--work", work]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT), **env})
        if done.returncode != 0:
            raise RuntimeError(f"{mode} at {n}: {done.stderr[-2000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def cpu_probe(rounds: int = 3) -> dict[str, float]:
    """Seconds two fixed pieces of pure Python take here (the best of ``rounds`` each): a counting loop
    (the interpreter alone) and building and sorting 400,000 small dicts (memory-bound, like parsing). This
    kind of virtual machine runs the same code up to ~1.6× slower at some hours than at others, so each
    size's figures carry the probe taken just before them: figures of two runs compare only as far as their
    probes agree."""
    return {"loop": _best_of(rounds, _count), "alloc": _best_of(rounds, _dicts)}


def _best_of(rounds: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return round(best, 2)


def _count() -> int:
    total = 0
    for i in range(20_000_000):
        total += i
    return total


def _dicts() -> int:
    rows = [{"id": f"r{i}", "v": i * 7919 % 100003, "t": str(i)[::-1]} for i in range(400_000)]
    rows.sort(key=lambda r: (r["v"], r["t"]))
    return len({r["t"][:3] for r in rows})


def measure(n: int, root: Path, dask: bool = False, nights: bool = False, workers: bool = False,
            only_nights: bool = False) -> dict:
    folder = corpus(n, root)
    probe = cpu_probe()
    extra: dict = {}
    if nights:
        extra["nights"] = _child("nights", n, folder)
        extra["cpu_probe_after_nights_s"] = cpu_probe()
    if workers:
        extra["workers"] = {k: _child("first", n, folder, XXGK_PARSE_WORKERS=str(k)) for k in (1, 2)}
    if only_nights:
        return {"reports": n, "cpu_probe_s": probe, **extra}
    flow = _child("flow", n, folder)
    bare = _child("bare", n, folder)
    if dask:
        extra["dask"] = _child("dask", n, folder)
    return {"reports": flow["files"], "cpu_probe_s": probe, "flow": flow, "bare": bare, **extra,
            "flow_over_bare": round(flow["wall_s"] / bare["wall_s"], 2),
            "rerun_share_of_first": round(flow["rerun_wall_s"] / flow["wall_s"], 3),
            "reports_per_s": round(flow["files"] / flow["wall_s"], 1)}


def measure_large(n: int, root: Path) -> dict:
    """The first run only at a large size (``--large``): wall and CPU seconds, stage times, peak RSS."""
    folder = corpus(n, root)
    probe = cpu_probe()
    return {"reports": n, "cpu_probe_s": probe, "first_only": _child("first", n, folder)}


def large_table(results: list[dict]) -> str:
    lines = []
    for r in results:
        if "first_only" in r:
            f = r["first_only"]
            lines.append(f"{r['reports']} reports, first run only: {f['wall_s']} s (CPU {f['cpu_s']} s + parser "
                         f"processes {f['children_cpu_s']} s), peak RSS {f['peak_rss_mb']} MB; stages "
                         f"{f['stages_s']}; cpu probe {_probe_text(r.get('cpu_probe_s'))}")
    return "\n".join(lines)


def run_first(folder: Path, work: Path) -> dict:
    """The first run only (the flow as ``xxgk run`` runs it), e.g. with ``XXGK_PARSE_WORKERS`` set."""
    from xxgk import offline

    offline.apply()
    return _night(_settings_args(folder, work))


def table(results: list[dict]) -> str:
    if all("flow" not in r for r in results):
        return nights_table(results)
    lines = ["reports | flow s | parse | validate | load | summary | rep/s | peak RSS MB | "
             "bare s (parse/rules/load/summary) | flow/bare | rerun s (share) | cpu probe s (loop/alloc)"]
    for r in results:
        f, b, st, bs = r["flow"], r["bare"], r["flow"]["stages_s"], r["bare"]["stages_s"]
        bare_stages = "/".join(str(bs.get(k)) for k in ("parse", "validate", "load", "summary"))
        lines.append(f"{r['reports']} | {f['wall_s']} | {st.get('parse')} | {st.get('validate')} | {st.get('load')} | "
                     f"{st.get('summary')} | {r['reports_per_s']} | {f['peak_rss_mb']} | {b['wall_s']} ({bare_stages}) | "
                     f"{r['flow_over_bare']} | {f['rerun_wall_s']} ({r['rerun_share_of_first']:.1%}) | "
                     f"{_probe_text(r.get('cpu_probe_s'))}")
    for r in results:
        if "dask" in r:
            d = r["dask"]
            lines.append(f"{r['reports']} with the Dask task runner (local cluster): {d['wall_s']} s "
                         f"(parse {d['stages_s'].get('parse')}), peak RSS {d['peak_rss_mb']} MB")
    if len(results) > 1:
        first, last = results[0], results[-1]
        ratio = last["flow"]["wall_s"] / first["flow"]["wall_s"]
        lines.append(f"cost growth: {last['reports'] / first['reports']:.0f}× the reports took {ratio:.2f}× the time")
    return "\n".join(lines)


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": sys.version.split()[0], "platform": platform.platform()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", default="1000", help="comma-separated sizes, e.g. 1000,5000,10000")
    parser.add_argument("--corpus-root", default=str(ROOT / "benchmarks" / "corpus"))
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results.json"))
    parser.add_argument("--dask", type=int, default=0, metavar="N",
                        help="also run the flow on a local Dask cluster at the sizes up to N reports")
    parser.add_argument("--nights", type=int, default=0, metavar="N",
                        help="also measure the nights (first run, +20 new, rules changed) at the sizes from N up")
    parser.add_argument("--workers-at", type=int, default=0, metavar="N",
                        help="also measure the first run at size N with 1 and 2 parser processes")
    parser.add_argument("--only-nights", action="store_true", help="measure only the nights and workers figures")
    parser.add_argument("--large", type=int, default=0, metavar="N",
                        help="opt-in: also measure the first run alone at N reports (e.g. 100000: peak RSS, linearity)")
    parser.add_argument("--one", choices=("flow", "bare", "dask", "nights", "night", "first"), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one == "night":
        print(json.dumps(run_one_night(args.corpus)))
        return 0
    if args.one:
        run = {"flow": run_flow, "bare": run_bare, "dask": run_dask, "nights": run_nights, "first": run_first}[args.one]
        print(json.dumps(run(Path(args.corpus), Path(args.work))))
        return 0
    results = []
    for n in args.reports.split(","):
        results.append(measure(int(n), Path(args.corpus_root), int(n) <= args.dask,
                               nights=bool(args.nights) and int(n) >= args.nights, workers=int(n) == args.workers_at,
                               only_nights=args.only_nights))
        print(table(results[-1:]).splitlines()[-1], flush=True)
        _write(args.json, results)  # each size as soon as it is measured (a long run may be cut short)
    if args.large:
        results.append(measure_large(args.large, Path(args.corpus_root)))
        _write(args.json, results)
    sized = [r for r in results if "first_only" not in r]
    print(table(sized))
    if any("nights" in r or "workers" in r for r in sized) and not args.only_nights:
        print(nights_table(sized))
    if args.large:
        print(large_table(results))
    _write(args.json, results)
    print(f"figures: {args.json}")
    return 0


def _write(path: str, results: list[dict]) -> None:
    Path(path).write_text(json.dumps({"machine": machine(), "results": results}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    raise SystemExit(main())
