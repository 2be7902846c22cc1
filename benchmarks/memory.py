"""Memory of a process tree, sampled while a measurement runs (Linux ``/proc``): the peak RSS of the run, its
parser processes, Prefect's server and any Dask worker, and which of them made it up."""
from __future__ import annotations

import os
import threading
from pathlib import Path

def tree_stats(root_pid: int) -> dict[int, list[str]]:
    """The fields of ``/proc/<pid>/stat`` after the command (state, ppid, …) of ``root_pid`` and each of its
    descendants (Linux)."""
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            stats[int(entry.name)] = stat[stat.rindex(")") + 2:].split()
        except (OSError, ValueError, IndexError):
            continue
    parents = {pid: int(fields[1]) for pid, fields in stats.items()}
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        pid = frontier.pop()
        children = [c for c, p in parents.items() if p == pid and c not in tree]
        tree.update(children)
        frontier.extend(children)
    return {pid: stats[pid] for pid in tree if pid in stats}


def _tree_rss(root_pid: int) -> dict[int, tuple[str, float]]:
    """Resident memory (MB) and command of ``root_pid`` and each of its descendants (Linux /proc)."""
    page = os.sysconf("SC_PAGE_SIZE")
    return {pid: (_command(pid), int(fields[21]) * page / 2**20) for pid, fields in tree_stats(root_pid).items()}


def _command(pid: int) -> str:
    try:
        return role(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
    except OSError:
        return "?"


ROLES = (("multiprocessing.spawn", "parser worker"), ("resource_tracker", "multiprocessing resource tracker"),
         ("uvicorn", "Prefect server"), ("distributed", "Dask worker"), ("benchmarks.pipeline", "the run"))


def role(command: str) -> str:
    """What a process of the tree is, from its command line (no machine-specific paths in the figures)."""
    return next((name for needle, name in ROLES if needle in command), "other")


class Sampler:
    """Calls ``sample`` every ``interval`` seconds in a thread while used as a context manager."""

    interval = 0.25

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        """One reading (each sampler says what it reads)."""

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class PeakMemory(Sampler):
    """Samples the process tree's RSS every 0.25 s in a thread; ``peak_mb`` is the highest sum seen and
    ``at_peak`` the processes (command → MB) that made it up."""

    def __init__(self) -> None:
        super().__init__()
        self.peak_mb = 0.0
        self.at_peak: dict[str, float] = {}

    def sample(self) -> None:
        tree = _tree_rss(os.getpid())
        total = sum(mb for _, mb in tree.values())
        if total > self.peak_mb:
            self.peak_mb = total
            self.at_peak = {f"{pid} {cmd}": round(mb) for pid, (cmd, mb) in tree.items()}
