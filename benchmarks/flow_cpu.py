"""CPU seconds of one first run, per stage and per process: what a shared machine's wall clock cannot say.

    python -m benchmarks.flow_cpu CORPUS [--bare] [--profile out.prof] [--repeat 1]

CORPUS is a synthetic city (``reports/`` and ``register.csv``, e.g. one of ``benchmarks.pipeline``'s).
Each pass runs in a fresh interpreter, on a new warehouse, the flow as ``xxgk run`` runs it
(``flows.nightly.run_local``; ``--bare``: ``xxgk.stages.run_plain`` with the Python rule engine) and prints:

* per stage, wall seconds and the CPU seconds of the run's own process (all its threads) — the stages'
  ``timings`` as the benchmark prints them, plus what lies outside them (start-up, Prefect);
* the CPU seconds of every process of the tree (the run, its parser processes, Prefect's server), read from
  ``/proc`` every 0.5 s and at the end, by role.

``--profile``: a cProfile of the run's own process (its main thread) written to that file.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.memory import Sampler, _command, tree_stats

ROOT = Path(__file__).resolve().parents[1]
_TICK = os.sysconf("SC_CLK_TCK")


class TreeCpu(Sampler):
    """The CPU seconds of this process and its descendants, sampled (a process that ends between two
    samples keeps its last figure)."""

    interval = 0.5

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[int, tuple[str, float]] = {}

    def sample(self) -> None:
        for pid, fields in tree_stats(os.getpid()).items():
            role = self.seen[pid][0] if pid in self.seen else _command(pid)
            self.seen[pid] = (role, (int(fields[11]) + int(fields[12])) / _TICK)

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self.sample()

    def by_role(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for role, seconds in self.seen.values():
            out[role] = round(out.get(role, 0.0) + seconds, 2)
        return out


def _timed_stages() -> dict[str, float]:
    """Wrap the stage functions so that each records the CPU seconds of this process it took."""
    from xxgk import stages

    spent: dict[str, float] = {}

    def wrap(name: str) -> None:
        fn = getattr(stages, name)

        def timed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            t0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.process_time() - t0

        setattr(stages, name, timed)

    for name in ("ingest", "validate", "begin_load", "load", "summary"):
        wrap(name)
    return spent


def one(corpus: Path, work: Path, bare: bool, profile: str | None) -> dict:
    from xxgk import offline

    offline.apply()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    spent = _timed_stages()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    args = dict(inputs=[str(corpus / "reports")], db=str(work / "w.duckdb"), register=str(corpus / "register.csv"),
                docs=str(work / "docs"), out=str(work / "out"))
    with TreeCpu() as tree:
        if bare:
            from xxgk.settings import RunSettings
            from xxgk.stages import run_plain

            settings = RunSettings((Path(args["inputs"][0]),), Path(args["db"]), Path(args["register"]),
                                   Path(args["docs"]), Path(args["out"]), engine="bare")
            outcome = run_plain(settings)
        else:
            from flows.nightly import run_local

            outcome = run_local(**args)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    return {"files": outcome["n_files"], "wall_s": round(time.perf_counter() - wall0, 2),
            "cpu_s": round(time.process_time() - cpu0, 2),
            "stages_wall_s": {k: round(v, 2) for k, v in outcome["timings"].items()},
            "stages_cpu_s": {k: round(v, 2) for k, v in spent.items()}, "tree_cpu_s": tree.by_role()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--bare", action="store_true")
    parser.add_argument("--profile")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.corpus, Path(args.work), args.bare, args.profile), ensure_ascii=False))
        return
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as work:
            cmd = [sys.executable, "-m", "benchmarks.flow_cpu", str(args.corpus.resolve()), "--one", "--work", work,
                   *(["--bare"] if args.bare else []), *(["--profile", args.profile] if args.profile else [])]
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
            if done.returncode != 0:
                raise SystemExit(done.stderr[-3000:])
            print(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
