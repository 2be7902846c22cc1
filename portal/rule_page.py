"""One page per rule: what it checks, its basis, and which bodies fail it in the latest run."""
from __future__ import annotations

from collections.abc import Mapping

from portal.data import Body, Finding, Report, Snapshot
from portal.markup import DECISION, STATUS, badge, esc, finding_id, link, page, table, tag
from rules.catalogue import Rule


def render(snap: Snapshot, rule_id: str, rule: Rule | None) -> str:
    """The page of ``rule_id`` (``rule`` is None for an id the catalogue no longer holds)."""
    parts = [f'<p class="crumb">{link("../index.html", "全市概况")}</p>',
             f"<h1>{esc(rule_id)} {esc(rule.title) if rule else '（规则目录中已无此规则）'}</h1>",
             _facts(rule), _status_counts(snap.rule_status.get(rule_id, {})),
             _fails(snap, snap.fails_by_rule.get(rule_id, []))]
    return page(f"{rule_id} — 规则", "\n".join(parts), root="../")


def _facts(rule: Rule | None) -> str:
    if rule is None:
        return ""
    facts = [("严重程度", badge(rule.severity)), ("适用版式", esc("、".join(rule.editions))),
             ("适用机关类别", esc("、".join(rule.bodies)) if rule.bodies else "全部"),
             ("依据", esc(rule.basis)), ("出处", esc(rule.source))]
    if rule.message and rule.message.strip() != "{detail}":
        facts.append(("问题说明模板", esc(rule.message)))
    return '<dl class="facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>"


def _status_counts(counts: Mapping[str, int]) -> str:
    """How many findings of the run (reports or missing filings) the rule has, by status."""
    cells = [[esc(STATUS[s]), str(counts.get(s, 0))] for s in STATUS]
    return tag("h2", "最近一次运行的结果") + table(["结果", "份数（年报或未报送）"], cells)


def _fails(snap: Snapshot, fails: list[tuple[Body, Report | None, Finding]]) -> str:
    fails = sorted(fails, key=lambda t: (snap.county_of(t[0]).name, t[0].name, t[2].year or 0))
    if not fails:
        return tag("h2", "不通过的机关") + '<p class="note">最近一次运行中没有机关违反此规则。</p>'
    rows = [[link(f"../bodies/{b.slug}.html", b.name), esc(snap.county_of(b).name), esc(f.year),
             link(f"../bodies/{b.slug}.html", f.message or "（无说明）", fragment=finding_id(f.fingerprint)),
             esc(DECISION.get(f.decision or "", "未复核"))] for b, r, f in fails]
    return tag("h2", f"不通过的机关（{len(fails)} 项）") + table(["机关", "所属区县", "年度", "问题说明", "复核"], rows, "stack")
