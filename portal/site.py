"""The static website the oversight office reads: an overview, one page per body, one page per rule.

    build_site(Path("warehouse/xxgk.duckdb"), Path("out/portal"))   # → out/portal/index.html

Offline by construction: one local stylesheet, charts as inline SVG, no script, no external URL.
"""
from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from portal import body_page, data, index_page, rule_page
from portal.links import Links, relative
from portal.markup import esc, link
from portal.names import assign_slugs
from rules.catalogue import Rule, catalogue

DOCS_INDEX = Path("gx") / "uncommitted" / "data_docs" / "local_site" / "index.html"
OWNED_DIRS = ("bodies", "rules")


def build_site(db_path: Path, out_dir: Path, docs_root: Path | None = None) -> Path:
    """Write the site for the latest completed run of ``db_path`` into ``out_dir``; return its index.html.

    ``docs_root`` is the folder holding each run's Data Docs (``xxgk run --docs``); it is used to find the
    latest run's Data Docs when ``runs.docs_path`` is relative to another working directory.
    Pages of bodies or rules left over from an earlier build are removed."""
    return write_site(data.load(Path(db_path)), out_dir, docs_root)


def write_site(snap: data.Snapshot, out_dir: Path, docs_root: Path | None = None,
               notices: Mapping[str, Path] | None = None, downloads: Mapping[str, Path] | None = None) -> Path:
    """``build_site`` from an already loaded snapshot. ``notices`` maps a body's key to its 整改通知 draft and
    ``downloads`` a label to a file (e.g. the audit list); both are linked when the file exists."""
    out_dir = Path(out_dir)
    rules = catalogue()
    slugs = rule_slugs(snap, rules)
    notice_links = {key: rel for key, path in (notices or {}).items() if (rel := relative(path, out_dir))}
    files = tuple((label, rel) for label, path in (downloads or {}).items() if (rel := relative(path, out_dir)))
    links = Links(docs_markup(snap.run, out_dir, docs_root), notice_links, files)
    pages = {"index.html": index_page.render(snap, rules, slugs, links)}
    for body in snap.bodies.values():
        pages[f"bodies/{body.slug}.html"] = body_page.render(snap, body, rules, slugs, links)
    for rule_id, slug in slugs.items():
        pages[f"rules/{slug}.html"] = rule_page.render(snap, rule_id, rules.get(rule_id))
    _write(out_dir, pages)
    return out_dir / "index.html"


def rule_slugs(snap: data.Snapshot, rules: Mapping[str, Rule]) -> dict[str, str]:
    """Page stems of every catalogue rule and of any other rule id found in the run, catalogue order first."""
    seen = {f.rule_id for r in snap.reports for f in r.findings}
    seen |= {f.rule_id for b in snap.bodies.values() for f in b.gaps}
    ids = [*rules, *sorted(seen - set(rules))]
    slugs = assign_slugs({rule_id: (rule_id, "r") for rule_id in ids})
    return {rule_id: slugs[rule_id] for rule_id in ids}


def docs_markup(run: data.Run | None, out_dir: Path, docs_root: Path | None) -> str:
    """A relative link from the site root to the run's Data Docs when the file exists, else a note."""
    if run is None:
        return esc(None)
    target = _docs_index(run, docs_root)
    if target is None:
        return f"{esc(run.docs_path)}（未找到）" if run.docs_path else "本次运行未生成"
    rel = relative(target, out_dir)
    return link(rel, "本次运行的 Data Docs（规则与验证结果）") if rel else esc(str(target))


def _docs_index(run: data.Run, docs_root: Path | None) -> Path | None:
    candidates = []
    if run.docs_path:
        stored = Path(run.docs_path)
        candidates.append(stored)
        if docs_root is not None and not stored.is_absolute():
            candidates.append(Path(docs_root) / stored)
    if docs_root is not None:
        candidates.append(Path(docs_root) / run.run_id / DOCS_INDEX)
    return next((p for p in candidates if p.suffix.lower() == ".html" and p.is_file()), None)


def _write(out_dir: Path, pages: Mapping[str, str]) -> None:
    for folder in ("assets", *OWNED_DIRS):
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
    css = resources.files("portal").joinpath("assets/site.css").read_text(encoding="utf-8")
    (out_dir / "assets" / "site.css").write_text(css, encoding="utf-8")
    for rel, text in pages.items():
        (out_dir / rel).write_text(text, encoding="utf-8")
    for folder in OWNED_DIRS:
        for stale in (out_dir / folder).glob("*.html"):
            if f"{folder}/{stale.name}" not in pages:
                stale.unlink()
