"""Benchmark: the whole nightly flow at several corpus sizes, against the same work done "bare".

    python -m benchmarks.pipeline --reports 1000,5000,10000

For each size N it generates (or reuses, under ``benchmarks/corpus/N``) a synthetic city of N txt reports
(``synth.city``: N/5 bodies × 2019–2023), then, each in a fresh process:

* **flow**: the ``nightly`` flow (Prefect local mode, GX suites + Data Docs, DuckDB load, summary with the
  report site) on a new warehouse; per stage (parse, validate, load, summary) wall seconds, reports per
  second; peak RSS of the process and of its parser workers;
* **rerun**: the same flow again with nothing changed (every file skipped by its sha256);
* **bare**: the same parse (same process pool) and the same rules in plain Python, no Prefect, no GX.

It prints a table and writes the figures as JSON (``--json``, default ``benchmarks/results.json``).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
YEARS = range(2019, 2024)


def corpus(n: int, root: Path) -> Path:
    """A synthetic city with ``n`` reports (generated once, then reused)."""
    from synth.city import generate_city

    folder = root / str(n)
    if not (folder / "manifest.json").exists():
        generate_city(folder, bodies=max(n // len(YEARS), 1), years=YEARS, formats=["txt"], defect_rate=0.05, seed=11)
    return folder


def _peaks() -> dict:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_rss_mb": round(own, 1), "peak_rss_workers_mb": round(workers, 1)}


def run_flow(folder: Path, work: Path) -> dict:
    from xxgk import offline

    offline.apply()
    from flows.nightly import nightly

    args = dict(inputs=[str(folder / "reports")], db=str(work / "w.duckdb"), register=str(folder / "register.csv"),
                docs=str(work / "docs"), out=str(work / "out"))
    start = time.perf_counter()
    first = nightly(**args)
    first_wall = time.perf_counter() - start
    start = time.perf_counter()
    second = nightly(**args)
    rerun_wall = time.perf_counter() - start
    return {"wall_s": round(first_wall, 2), "stages_s": _rounded(first["timings"]), "files": first["n_files"],
            "rerun_wall_s": round(rerun_wall, 2), "rerun_parsed": second["n_parsed"], **_peaks()}


def run_bare(folder: Path) -> dict:
    from rules.register import load_register
    from xxgk import pipeline
    from xxgk.check import check_reports

    start = time.perf_counter()
    paths = pipeline.discover([folder / "reports"])
    reports = pipeline.parse_all(paths, None)
    parsed = time.perf_counter()
    result = check_reports(reports, None, "bare", load_register(folder / "register.csv"))
    done = time.perf_counter()
    pipeline.shutdown_pool()
    findings = sum(len(c.findings) for c in result.checked)
    return {"wall_s": round(done - start, 2), "stages_s": {"parse": round(parsed - start, 2),
            "rules": round(done - parsed, 2)}, "files": len(paths), "findings": findings, **_peaks()}


def _rounded(timings: dict) -> dict:
    return {k: round(v, 2) for k, v in timings.items()}


def _child(mode: str, n: int, folder: Path) -> dict:
    """Run one measurement in a fresh interpreter (clean memory figures, cold Prefect and GX)."""
    with tempfile.TemporaryDirectory() as work:
        cmd = [sys.executable, "-m", "benchmarks.pipeline", "--one", mode, "--corpus", str(folder), "--work", work]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        if done.returncode != 0:
            raise RuntimeError(f"{mode} at {n}: {done.stderr[-2000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def measure(n: int, root: Path) -> dict:
    folder = corpus(n, root)
    flow = _child("flow", n, folder)
    bare = _child("bare", n, folder)
    return {"reports": flow["files"], "flow": flow, "bare": bare,
            "flow_over_bare": round(flow["wall_s"] / bare["wall_s"], 2),
            "rerun_share_of_first": round(flow["rerun_wall_s"] / flow["wall_s"], 3),
            "reports_per_s": round(flow["files"] / flow["wall_s"], 1)}


def table(results: list[dict]) -> str:
    lines = ["reports | flow s | parse | validate | load | summary | rep/s | peak RSS MB (main/workers) | "
             "bare s | flow/bare | rerun s (share)"]
    for r in results:
        f, b, st = r["flow"], r["bare"], r["flow"]["stages_s"]
        lines.append(f"{r['reports']} | {f['wall_s']} | {st.get('parse')} | {st.get('validate')} | {st.get('load')} | "
                     f"{st.get('summary')} | {r['reports_per_s']} | {f['peak_rss_mb']}/{f['peak_rss_workers_mb']} | "
                     f"{b['wall_s']} | {r['flow_over_bare']} | {f['rerun_wall_s']} ({r['rerun_share_of_first']:.1%})")
    if len(results) > 1:
        first, last = results[0], results[-1]
        growth = (last["flow"]["wall_s"] / first["flow"]["wall_s"]) / (last["reports"] / first["reports"])
        lines.append(f"cost growth: {last['reports'] / first['reports']:.0f}× the reports took "
                     f"{last['flow']['wall_s'] / first['flow']['wall_s']:.2f}× the time (linear = {growth:.2f})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", default="1000", help="comma-separated sizes, e.g. 1000,5000,10000")
    parser.add_argument("--corpus-root", default=str(ROOT / "benchmarks" / "corpus"))
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results.json"))
    parser.add_argument("--one", choices=("flow", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        figures = run_flow(Path(args.corpus), Path(args.work)) if args.one == "flow" else run_bare(Path(args.corpus))
        print(json.dumps(figures))
        return 0
    results = [measure(int(n), Path(args.corpus_root)) for n in args.reports.split(",")]
    print(table(results))
    machine = {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": sys.platform}
    Path(args.json).write_text(json.dumps({"machine": machine, "results": results}, ensure_ascii=False, indent=2))
    print(f"figures: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
