"""The nights of an office, measured (``python -m benchmarks.pipeline --nights N``; see that module's text).

A first run over a generated city with its last ``HELD_BACK`` reports held back, then three nights of 20 new
reports each — in a **fresh interpreter** (``xxgk run`` as cron would run it: the interpreter, the imports and
Prefect's temporary server), in a **fresh interpreter with a server already running** (how a served
deployment runs each night: Prefect 3's runner starts every scheduled flow run in a new spawned process,
which pays the imports but not the server), and in the **same process** (imports done and Prefect's server
up: the flow's own cost, as under ``xxgk serve --in-process``) — then a night with **only the rules changed**
(the catalogue's version differs, the parser's does not: every report judged again from its stored facts),
and last the same as an officer makes it (``rules_edited_fresh``): one rule of ``rules/catalogue.yaml`` edited
(T3-BALANCE's tolerance 0 → 1, in a copy of the project's code: the project itself is never edited), then
``xxgk run`` in a fresh interpreter. The first rules night changes only the catalogue's version, so it
cannot show what an edit of the catalogue itself costs beyond the judging (the site and the drafts).
Before the same-process night of 20 new reports, the same process runs a night with **nothing new**
(``unchanged_same_process``, measured too): a process serving the deployment ran the night before itself, so
what it keeps between nights (``warehouse/last_run.py``, the survey, the register) is current, whereas the
two nights before were run by other processes. Each with its wall seconds, its share of
the first run, what it parsed and judged, its peak RSS and CPU seconds.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.memory import PeakMemory

ROOT = Path(__file__).resolve().parents[1]
HELD_BACK = 60  # reports left out of the first run of ``nights``, added 20 at a time
NIGHTS = ("new20_fresh", "new20_served", "unchanged_same_process", "new20_same_process", "rules_changed",
          "rules_edited_fresh")
RULE_EDIT = ("id: T3-BALANCE", "params: {tolerance: 0}", "params: {tolerance: 1}")  # rule, its line, the edit


def _settings_args(folder: Path, work: Path) -> dict:
    return dict(inputs=[str(folder / "reports")], db=str(work / "w.duckdb"), register=str(folder / "register.csv"),
                docs=str(work / "docs"), out=str(work / "out"))


def _rounded(timings: dict) -> dict:
    return {k: round(v, 2) for k, v in timings.items()}


def _link_tree(files: list[Path], source: Path, target: Path) -> None:
    """Hard links of ``files`` (under ``source``) under ``target``: a copy of the city that costs nothing."""
    for path in files:
        linked = target / path.relative_to(source)
        linked.parent.mkdir(parents=True, exist_ok=True)
        if not linked.exists():
            os.link(path, linked)


def _night(args: dict, run: Callable[[], dict] | None = None) -> dict:
    """One night measured: ``run_local(**args)``, or ``run`` (returning the run's outcome; Prefect is then not
    imported here first: ``xxgk run`` launches the server and begins parsing before it imports Prefect)."""
    if run is None:
        from flows.nightly import run_local

        run = lambda: run_local(**args)  # noqa: E731
    with PeakMemory() as memory:
        start, cpu = time.perf_counter(), _cpu()
        outcome = run()
        wall, used = time.perf_counter() - start, _cpu()
    return {"wall_s": round(wall, 2), "stages_s": _rounded(outcome["timings"]), "parsed": outcome["n_parsed"],
            "judged": outcome["n_judged"], "carried": outcome["n_carried"], "peak_rss_mb": round(memory.peak_mb, 1),
            "cpu_s": round(used[0] - cpu[0], 2), "children_cpu_s": round(used[1] - cpu[1], 2)}


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process, and of its children that ended (the parser processes of a run that
    shut its pool down; not Prefect's server, which lives on): on a shared machine the wall clock says as
    much about the other sessions as about the run."""
    times = os.times()
    return times.user + times.system, times.children_user + times.children_system


def run_nights(folder: Path, work: Path) -> dict:
    """The first run and the nights after it: see the module's text."""
    from flows import local_server
    from xxgk import offline, pipeline

    offline.apply()
    source = folder / "reports"
    files = sorted(p for p in source.rglob("*") if p.is_file())
    first, held = files[:-HELD_BACK], files[-HELD_BACK:]
    inputs = work / "inputs"
    _link_tree(first, source, inputs)
    args = {**_settings_args(folder, work), "inputs": [str(inputs)]}
    out = {"stored_before": len(first), "first": _night(args)}
    _link_tree(held[:20], source, inputs)
    out["new20_fresh"] = _child_night(args, work)
    _link_tree(held[20:40], source, inputs)
    out["new20_served"] = _child_night(args, work, api_url=local_server.api_url())  # this process's server
    out["unchanged_same_process"] = _night(args)  # the night before, run by this process (nothing new)
    _link_tree(held[40:], source, inputs)
    out["new20_same_process"] = _night(args)
    pipeline.catalogue_version.cache_clear()
    changed = pipeline.catalogue_version() + "+benchmark-rules-change"
    pipeline.catalogue_version = lambda: changed  # what a changed rules/*.yaml does; the parser is the same
    out["rules_changed"] = _night(args)
    out["rules_edited_fresh"] = _child_night(args, work, code=edited_code(work))
    for name in NIGHTS:
        out[name]["share_of_first"] = round(out[name]["wall_s"] / out["first"]["wall_s"], 3)
    out["files"] = len(files)
    return out


def edited_code(work: Path) -> Path:
    """A copy of the project's code under ``work`` with one rule edited as an office would edit it
    (``RULE_EDIT``: the first such line after the rule's id in ``rules/catalogue.yaml``)."""
    code = work / "code-rules-edited"
    shutil.rmtree(code, ignore_errors=True)
    for name in _code_packages():
        shutil.copytree(ROOT / name, code / name, ignore=shutil.ignore_patterns("__pycache__"))
    catalogue = code / "rules" / "catalogue.yaml"
    text = catalogue.read_text(encoding="utf-8")
    rule, line, edit = RULE_EDIT
    at = text.index(line, text.index(rule))
    catalogue.write_text(text[:at] + edit + text[at + len(line):], encoding="utf-8")
    return code


def _code_packages() -> list[str]:
    """The project's top-level packages (``pyproject.toml``), and this one."""
    import tomllib

    packages = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    return [*dict.fromkeys(name.split(".")[0] for name in packages), "benchmarks"]


def _child_night(args: dict, work: Path, api_url: str | None = None, code: Path = ROOT) -> dict:
    """One night in a fresh interpreter: the whole ``xxgk run`` (interpreter, imports, Prefect's temporary
    server), or with ``api_url`` the run of a served deployment (interpreter and imports; the server named);
    with the project's code at ``code`` (checked: the night says where its code was)."""
    cmd = [sys.executable, "-m", "benchmarks.pipeline", "--one", "night", "--corpus", json.dumps(args),
           "--work", str(work)]
    env = {**os.environ, "PYTHONPATH": str(code), **({"PREFECT_API_URL": api_url} if api_url else {})}
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=code, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"night: {done.stderr[-2000:]}")
    night = json.loads(done.stdout.strip().splitlines()[-1])
    if Path(night.pop("code")).resolve() != code.resolve():
        raise RuntimeError(f"night: ran the code of another folder than {code}")
    return {**night, "in_flow_wall_s": night["wall_s"], "wall_s": round(wall, 2)}


def run_one_night(args_json: str) -> dict:
    """One night in this (fresh) interpreter, by ``xxgk run``'s own path (``xxgk.cli_run.run_checked``: the
    checks, the temporary server launched and the head start begun before Prefect is imported, the flow),
    its outcome returned instead of printed; with ``PREFECT_API_URL`` set, as a served run (no server)."""
    from xxgk import cli, cli_run, offline

    offline.apply()
    args = json.loads(args_json)
    argv = ["run", *args["inputs"], "--db", args["db"], "--register", args["register"], "--docs", args["docs"],
            "--out", args["out"]]
    parsed = cli.build_parser().parse_args(argv)
    cli_run.launch_server(parsed)         # as ``xxgk.cli.main``: first thing, then the defaults
    parsed = cli._with_defaults(parsed)  # noqa: SLF001 - as ``xxgk.cli.main``
    return {**_night(args, lambda: cli_run.run_checked(parsed)), "code": str(Path(cli.__file__).parents[1])}


def nights_table(results: list[dict]) -> str:
    """One line per size: the first run and each night's wall seconds, share, peak RSS and CPU."""
    lines = ["reports stored | first run s (peak RSS MB) | +20 new, fresh interpreter s (share; in flow s) | "
             "+20 new, server running, fresh interpreter s (share; in flow s) | nothing new, same process s (share) | "
             "+20 new, same process, the night after its own s (share) | "
             "rules changed s (share; judged) | a rule edited, fresh interpreter s (share; in flow s) | "
             "peak RSS MB of each night | CPU s: first / +20 fresh / +20 served / nothing new / +20 same / rules / "
             "rule edited | cpu probe"]
    for r in results:
        if "nights" in r:
            lines.append(_nights_line(r))
    for r in results:
        for k, w in r.get("workers", {}).items():
            lines.append(f"{r['reports']} reports, first run with {k} parser process(es): {w['wall_s']} s "
                         f"(parse {w['stages_s'].get('parse')}), peak RSS {w['peak_rss_mb']} MB")
    return "\n".join(lines)


def _nights_line(r: dict) -> str:
    n = r["nights"]
    f, nights = n["first"], [n.get(name, {}) for name in NIGHTS]
    fresh, served, unchanged, same, rules, edited = nights
    return " | ".join([
        f"{n['stored_before']}", f"{f['wall_s']} ({f['peak_rss_mb']})", _child_text(fresh), _child_text(served),
        _same_text(unchanged), _same_text(same),
        f"{rules['wall_s']} ({rules['share_of_first']:.1%}; {rules['judged']})", _child_text(edited),
        " / ".join(str(x.get("peak_rss_mb", "-")) for x in nights),
        " / ".join(_cpu_text(x) for x in (f, *nights)),
        f"{probe_text(r.get('cpu_probe_s'))} then {probe_text(r.get('cpu_probe_after_nights_s'))}"])


def _same_text(night: dict) -> str:
    return f"{night['wall_s']} ({night['share_of_first']:.1%})" if night else "-"


def _child_text(night: dict) -> str:
    if not night:
        return "-"
    return f"{night['wall_s']} ({night['share_of_first']:.1%}; {night['in_flow_wall_s']})"


def _cpu_text(night: dict) -> str:
    """CPU seconds of a night: its process and the parser processes that ended within it."""
    if "cpu_s" not in night:
        return "-"
    return f"{night['cpu_s'] + night.get('children_cpu_s', 0):.1f}"


def probe_text(probe: dict | None) -> str:
    """A cpu probe (``pipeline.cpu_probe``) as ``loop/alloc`` seconds."""
    return f"{probe['loop']}/{probe['alloc']}" if probe else "-"
