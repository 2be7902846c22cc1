"""The city overview: per year filed / missing / compliant / non-compliant, the most common failed rules,
counties ranked, every body and every rule."""
from __future__ import annotations

from collections.abc import Mapping

from portal.charts import grouped_bars, horizontal_bars
from portal.data import Body, Snapshot
from portal.markup import badge, esc, link, page, table, tag
from portal.stats import bodies_by_county, county_stats, rule_counts, year_stats
from rules.catalogue import Rule

TOP_RULES = 10


def render(snap: Snapshot, rules: Mapping[str, Rule], rule_slugs: Mapping[str, str], docs_link: str) -> str:
    """The whole index page; ``docs_link`` is ready markup (a link to the Data Docs, or a note)."""
    parts = [tag("h1", "政府信息公开工作年度报告 合规检查概况"), _run(snap, docs_link), _years(snap),
             _rules_top(snap, rules, rule_slugs), _counties(snap), _bodies(snap), _rule_list(rules, rule_slugs)]
    return page("全市政府信息公开年报合规概况", "\n".join(parts))


def _run(snap: Snapshot, docs_link: str) -> str:
    if snap.run is None:
        return '<p class="note">尚无已完成的检查运行。</p>'
    run = snap.run
    facts = [("运行编号", esc(run.run_id)), ("开始时间", esc(run.started_at)), ("完成时间", esc(run.finished_at)),
             ("年报份数", esc(run.n_reports)), ("规则目录版本", esc(run.catalogue)), ("Data Docs", docs_link)]
    return '<dl class="facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>"


def _years(snap: Snapshot) -> str:
    stats = year_stats(snap)
    if not stats:
        return tag("h2", "年度概况") + '<p class="note">没有可统计的年报。</p>'
    rows = [[esc(s.year), str(s.filed), esc(s.missing) if s.missing is not None else "—（未载入名录）",
             str(s.compliant), str(s.non_compliant)] for s in stats]
    series = [("合规", [s.compliant for s in stats]), ("不合规", [s.non_compliant for s in stats])]
    if snap.registered:
        series.append(("未报送", [s.missing for s in stats]))
    note = '<p class="note">不合规：最近一次运行中至少有一项未豁免的“错误”级不通过。</p>'
    return (tag("h2", "年度概况") + table(["年度", "已报送机关", "未报送机关", "合规", "不合规"], rows) + note
            + grouped_bars("各年度机关合规情况", [s.year for s in stats], series, "c-years"))


def _rules_top(snap: Snapshot, rules: Mapping[str, Rule], rule_slugs: Mapping[str, str]) -> str:
    counts = rule_counts(snap)[:TOP_RULES]
    if not counts:
        return tag("h2", "最常见的不合规规则") + '<p class="note">没有未豁免的不通过项。</p>'
    rows = [[link(f"rules/{rule_slugs[c.rule_id]}.html", c.rule_id), esc(rules[c.rule_id].title)
             if c.rule_id in rules else "—", badge(c.severity), str(c.n_reports)] for c in counts]
    chart = horizontal_bars("各规则不通过次数（年报或未报送）", [(c.rule_id, c.n_reports) for c in counts], "c-rules")
    return tag("h2", "最常见的不合规规则") + table(["规则", "名称", "程度", "不通过次数"], rows) + chart


def _counties(snap: Snapshot) -> str:
    rows = [[str(i), esc(c.county.name), str(c.n_bodies), str(c.n_filed), str(c.n_non_compliant),
             f"{c.share:.0%}"] for i, c in enumerate(county_stats(snap), 1)]
    return (tag("h2", "区县排名（按不合规机关占比）")
            + table(["名次", "区县", "机关数", "已报送", "不合规机关", "不合规占比"], rows))


def _bodies(snap: Snapshot) -> str:
    years = snap.years()
    parts = [tag("h2", "机关一览")]
    for county, bodies in bodies_by_county(snap):
        rows = [[link(f"bodies/{b.slug}.html", b.name), esc(b.body_id), *(_cell(b, y) for y in years)]
                for b in bodies]
        parts.append(tag("h3", esc(county.name)) + table(["机关", "编码", *(f"{y}年" for y in years)], rows))
    return "".join(parts)


def _cell(body: Body, year: int) -> str:
    if not body.reports_of(year):
        return tag("span", "未报送", "muted") if body.registered else "—"
    return tag("span", "不合规", "badge err") if body.non_compliant_in(year) else tag("span", "合规", "badge ok")


def _rule_list(rules: Mapping[str, Rule], rule_slugs: Mapping[str, str]) -> str:
    rows = [[link(f"rules/{slug}.html", rule_id), esc(rules[rule_id].title) if rule_id in rules else "—",
             badge(rules[rule_id].severity) if rule_id in rules else "—"] for rule_id, slug in rule_slugs.items()]
    return tag("h2", "规则一览") + table(["规则", "名称", "程度"], rows)
