"""One page per body: first what it must correct (with its 整改通知 draft), then every report by year with
each finding of the latest run — the printed numbers side by side with where they were printed — and
year-over-year charts of applications and outcomes."""
from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from portal.charts import grouped_bars
from portal.data import QUIET, TABLE_CELL, Body, Finding, Report, Snapshot
from portal.links import Links
from portal.markup import (CELL_STATE, DECISION, KIND, PARSE, STATUS, anchor, badge, details, esc, finding_id, link,
                           num, page, table, tag)
from portal.cellnames import humanize
from portal.verdicts import BADGE_CLASS, VERDICT_LABELS
from rules.catalogue import Rule

APPLICATIONS = ("t3.new.total", "本年新收申请")
OUTCOMES = (("t3.granted.total", "予以公开"), ("t3.partial.total", "部分公开"), ("t3.result_total.total", "办理结果总计"))
FOLD_CELLS = 12   # a finding citing more cells shows them folded
META = ("文件", "格式", "版式", "解析状态", "解析问题", "报告编号（sha256）")   # plain text: no escaping needed


def render(snap: Snapshot, body: Body, rules: Mapping[str, Rule], rule_slugs: Mapping[str, str],
           links: Links | None = None) -> str:
    """The whole page of ``body``."""
    links = links or Links()
    snap.read_details([body])
    parts = [_header(snap, body), _todo(body, rules, links)]
    checked = {y for y in snap.years() if snap.in_scope(y)} if body.registered else set()
    years = sorted(set(body.years()) | set(body.gap_years()) | checked)
    for year in years:
        parts.append(_year(body, year, rules, rule_slugs))
    if body.reports_of(None) or body.gaps_of(None):
        parts.append(_year(body, None, rules, rule_slugs))
    if not body.reports:
        parts.append('<p class="note">最近一次运行中没有该机关的年报。</p>')
    parts.append(_charts(body))
    return page(f"{body.name} — 年报检查结果", "\n".join(parts), root="../")


def _header(snap: Snapshot, body: Body) -> str:
    county = snap.county_of(body)
    verdict = body.verdict
    if body.non_compliant:
        state = tag("span", "不合规 · 需要督办", "badge err")
    elif verdict == "needs_review":
        state = tag("span", "待核实", "badge pending")
    elif verdict is None:
        state = tag("span", "未检查", "badge miss")
    elif body.open_fails:
        state = tag("span", "合规 · 有警示", "badge warn")
    else:
        state = tag("span", "合规", "badge ok")
    kind = body.kind_shown
    county_key = f"county-{county.key}" if county.key is not None else "county-none"
    facts = [("机关编码", esc(body.body_id)), ("类别", esc(KIND.get(kind or "", kind))),
             ("所属区县", link("../index.html", county.name, fragment=anchor(county_key))),
             ("名录", "已登记" if body.registered else "未登记（按年报所印名称归并）")]
    items = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in facts)
    return (f'<p class="crumb">{link("../index.html", "全市概况")} › '
            f'{link("../index.html", "需要督办的机关", fragment="todo")}</p>'
            f'<h1>{esc(body.name)} {state}</h1><dl class="facts inline">{items}</dl>')


def _todo(body: Body, rules: Mapping[str, Rule], links: Links) -> str:
    """What the body must correct: every open fail (→ its details below) and the notice draft."""
    fails = body.open_fails
    if not fails:
        if body.verdict == "needs_review":
            return ('<section class="todo-box pending" id="todo-list"><h2>待核实</h2><p>最近一次运行未发现未整改的问题，'
                    "但下列年报未能完整检查，不能判为合规；原因见各年度。</p></section>")
        if body.verdict is None:
            return '<p class="note">最近一次运行没有检查该机关的年报。</p>'
        return '<p class="ok-note">最近一次运行中没有未整改的问题：每条适用的“错误”级规则都已检查并通过。</p>'
    n_errors = sum(f.severity == "error" for _, f in fails)
    items = []
    for report, f in sorted(fails, key=lambda p: (p[1].severity != "error", p[1].year or 0, p[1].rule_id)):
        title = rules[f.rule_id].title if f.rule_id in rules else f.rule_id
        year = f"{f.year} 年度" if f.year is not None else "年度不详"
        where = "（未报送）" if report is None else ""
        items.append(f'<li>{badge(f.severity)} <span class="yr">{esc(year)}</span> '
                     f"{link('', title + where, fragment=finding_id(f.fingerprint))}"
                     f'<div class="msg-short">{esc(f.message)}</div></li>')
    notice = links.notice(body.key, "../")
    if notice:
        action = (f'<p class="act">{link(notice, "下载整改通知草稿（Word）", "button")} '
                  '<span class="muted">草稿（A4 公文格式）按模板列出下列全部问题和整改要求，附问题明细表，核对后印发。</span></p>')
    elif n_errors:
        action = '<p class="muted">整改通知草稿未生成（运行 xxgk report 生成）。</p>'
    else:
        action = '<p class="muted">只有“警示”级问题：不发整改通知，请核实后督促在下年度报告中规范。</p>'
    head = f"需要整改的问题（错误 {n_errors} 项，警示 {len(fails) - n_errors} 项）"
    cls = "todo-box err" if n_errors else "todo-box warn"
    return f'<section class="{cls}" id="todo-list"><h2>{esc(head)}</h2>{action}<ol>{"".join(items)}</ol></section>'


def _series(body: Body, cell_id: str, years: list[int]) -> list[float | None]:
    out = []
    for year in years:
        values = [r.series[cell_id] for r in body.reports_of(year) if cell_id in r.series]
        out.append(values[-1] if values else None)
    return out


def _charts(body: Body) -> str:
    years = body.years()
    if not years:
        return ""
    apps = _series(body, APPLICATIONS[0], years)
    outcomes = [(label, _series(body, cid, years)) for cid, label in OUTCOMES]
    if all(v is None for v in apps) and all(v is None for _, vs in outcomes for v in vs):
        return '<p class="note">年报中没有可用于趋势图的申请数据。</p>'
    rows = [[esc(y), num(apps[i]), *(num(vs[i]) for _, vs in outcomes)] for i, y in enumerate(years)]
    return ('<section class="charts"><h2>历年申请与办理情况</h2>'
            + grouped_bars("本年新收政府信息公开申请数量（表三 总计）", years, [(APPLICATIONS[1], apps)], "c-apps", (3,))
            + grouped_bars("办理结果（表三 总计）", years, outcomes, "c-outcomes", (3, 0, 2))
            + table(["年度", APPLICATIONS[1], *(label for _, label in OUTCOMES)], rows) + "</section>")


def _year(body: Body, year: int | None, rules: Mapping[str, Rule], rule_slugs: Mapping[str, str]) -> str:
    label = f"{year} 年度" if year is not None else "年度不详"
    reports = body.reports_of(year)
    blocks = "".join(_report(body, r, rules, rule_slugs) for r in reports)
    if not reports:
        blocks = '<p class="missing">未报送：最近一次运行中没有该机关本年度的年报。</p>'
    gaps = "".join(_finding(body, None, f, rules.get(f.rule_id), rule_slugs) for f in body.gaps_of(year)
                   if f.status == "fail")
    verdict = body.verdict_in(year)
    state = tag("span", VERDICT_LABELS[verdict], f"badge {BADGE_CLASS[verdict]}") if verdict else ""
    if verdict is None and not reports:
        blocks = '<p class="note">该年度没有年报，也不在本次检查的年度内（或未载入名录）。</p>'
    elif body.missing_in(year) is not None and body.missing_in(year).status == "not_assessable":
        blocks = '<p class="missing">待核实：未找到该机关本年度的年报，但无法判断是否逾期。</p>'
    ident = anchor(f"y-{year}" if year is not None else "y-none")
    return f'<section class="year" id="{ident}"><h2>{esc(label)} {state}</h2>{blocks}{gaps}</section>'


def _report(body: Body, report: Report, rules: Mapping[str, Rule], rule_slugs: Mapping[str, str]) -> str:
    findings = sorted(report.findings, key=lambda f: f.sort_key)
    fails = [f for f in findings if f.status == "fail"]
    detail = "".join(_finding(body, report, f, rules.get(f.rule_id), rule_slugs) for f in fails)
    path, fmt, edition = esc(report.source_path), esc(report.source_format), esc(report.edition)
    source = (f'<p class="src"><strong>文件：</strong>{path}'
              f'<span class="muted">（{fmt}，{edition} 版式）</span></p>')
    verdict = tag("span", VERDICT_LABELS.get(report.verdict, report.verdict),
                  f"badge {BADGE_CLASS.get(report.verdict, 'pending')}")
    if fails:
        counted = f"不通过 {len(fails)} 项："
    elif report.verdict == "needs_review":
        counted = "未发现不通过项，但未能完整检查（见下）。"
    else:
        counted = "适用的“错误”级规则均已检查并通过。"
    summary = tag("p", f"{verdict} {esc(counted)}", "count")
    if report.verdict == "needs_review":
        items = "".join(f"<li>{esc(humanize(r, report.edition, report.year))}</li>" for r in report.reasons)
        summary += (f'<div class="todo-box pending"><strong>待核实：本报告未能完整检查，不能判为合规。</strong>'
                    f'<ul class="reasons">{items}</ul></div>')
    meta = [path, fmt, edition, esc(PARSE.get(report.parse_status or "", report.parse_status)),
            esc("；".join(report.problems)) if report.problems else "无", tag("code", esc(report.report_id))]
    rows = "".join(f"<dt>{label}</dt><dd>{v}</dd>" for label, v in zip(META, meta))
    info = details("年报文件与解析信息", f'<dl class="facts">{rows}</dl>', cls="more")
    rest = _unassessable(findings, rule_slugs) + _quiet(report.quiet, rule_slugs)
    return (f'<div class="report">{source}{summary}{detail}{info}'
            f'{details("其他规则的结果", rest, cls="more") if rest else ""}</div>')


def _rule_link(rule_id: str, rule_slugs: Mapping[str, str]) -> str:
    return _rule_anchor(rule_id, rule_slugs.get(rule_id))


@lru_cache(maxsize=4096)
def _rule_anchor(rule_id: str, slug: str | None) -> str:
    """A rule id linking to its page (``slug``), or the escaped id when it has no page."""
    return link(f"../rules/{slug}.html", rule_id) if slug is not None else esc(rule_id)


def _finding(body: Body, report: Report | None, f: Finding, rule: Rule | None, rule_slugs: Mapping[str, str]) -> str:
    title = esc(rule.title) if rule else "（规则目录中已无此规则）"
    basis = esc(rule.basis) if rule else esc(None)
    cls = "finding waived" if f.decision == "waived" else ("finding" if f.severity == "error" else "finding warn")
    return (f'<article class="{cls}" id="{finding_id(f.fingerprint)}"><h3>{badge(f.severity)} {title} '
            f'<span class="rid">{_rule_link(f.rule_id, rule_slugs)}</span></h3>'
            f'<p class="msg">{esc(f.message)}</p>{_numbers(f)}{_cells(body, report, f)}'
            f'<p class="basis"><strong>依据：</strong>{basis}</p>{_review(f)}</article>')


def _cells(body: Body, report: Report | None, f: Finding) -> str:
    """The cited table cells side by side: what was printed, the value read, where it was printed. A finding
    citing many cells shows those that are not 0 first and every cell folded."""
    rows, key = [], []
    for i, cell_id in enumerate(f.cell_ids):
        if not TABLE_CELL.match(cell_id):
            continue
        cell, source = body.cell(report, cell_id)
        printed_at = f.locators[i] if len(f.locators) == len(f.cell_ids) else None
        where = cell.locator if cell and cell.locator else printed_at
        where_text = "，".join(esc(x) for x in (source, where) if x) or esc(None)
        row = [tag("span", esc(cell.raw if cell else None), "raw"),
               tag("strong", num(cell.value)) if cell else "（未读到）", where_text,
               esc(CELL_STATE.get(cell.state or "", cell.state) if cell else None), tag("code", esc(cell_id))]
        rows.append(row)
        if cell is None or cell.state != "number" or cell.value:
            key.append(row)
    derived = [c for c in f.cell_ids if not TABLE_CELL.match(c)]
    note = (f'<p class="note">派生指标（不是年报中的单元格）：{"、".join(tag("code", esc(c)) for c in derived)}</p>'
            if derived else "")
    if not rows:
        return note
    headers = ["所印原文", "读取值", "在年报中的位置", "状态", "单元格"]
    if len(rows) <= FOLD_CELLS:
        return table(headers, rows, "stack cells") + note
    shown = (tag("p", f"其中不为 0 的单元格（{len(key)} 个）：", "note") + table(headers, key, "stack cells")
             if key and len(key) <= FOLD_CELLS * 2 else "")
    everything = details(f"涉及的全部 {len(rows)} 个单元格：展开查看所印原文与位置", table(headers, rows, "stack cells"),
                         cls="more")
    return shown + everything + note


def _numbers(f: Finding) -> str:
    """应为 / 实为 (/ 相差) side by side."""
    if not f.expected and not f.observed:
        return ""
    boxes = [("应为", "、".join(num(v) for v in f.expected) or esc(None)),
             ("实为", "、".join(num(v) for v in f.observed) or esc(None))]
    if f.expected and len(f.expected) == len(f.observed):
        diffs = [o - e for e, o in zip(f.expected, f.observed)]
        if any(diffs):
            boxes.append(("相差", "、".join(("+" if d > 0 else "") + num(d) for d in diffs)))
    return ('<div class="numbers">' + "".join(f'<div><span>{esc(k)}</span><strong>{v}</strong></div>' for k, v in boxes)
            + "</div>")


def _review(f: Finding) -> str:
    if f.decision:
        who = "，".join(esc(x) for x in (f.reason, f.reviewer, f.decided_at) if x)
        decision = f"{esc(DECISION.get(f.decision, f.decision))}（{who}）"
    else:
        decision = "未复核"
    return f'<p class="meta">复核：{decision} · 指纹 <code>{esc(f.fingerprint)}</code></p>'


def _unassessable(findings: list[Finding], rule_slugs: Mapping[str, str]) -> str:
    rows = [[_rule_link(f.rule_id, rule_slugs), badge(f.severity), esc(humanize(f.message))]
            for f in findings if f.status == "not_assessable"]
    return (tag("h4", "无法判断") + table(["规则", "程度", "原因"], rows)) if rows else ""


def _quiet(quiet: Mapping[str, tuple[str, ...]], rule_slugs: Mapping[str, str]) -> str:
    """The rules a report passed, and those that did not apply, named and linked."""
    return "".join(_quiet_line(status, ids, tuple(map(rule_slugs.get, ids)))
                   for status in QUIET if (ids := quiet.get(status)))


@lru_cache(maxsize=4096)
def _quiet_line(status: str, ids: tuple[str, ...], slugs: tuple[str | None, ...]) -> str:
    """One line of rule links (most reports share a handful of such lines: rendered once each)."""
    links = "、".join(_rule_anchor(i, s) for i, s in zip(ids, slugs))
    return f'<p class="quiet"><strong>{esc(STATUS[status])}：</strong>{links}</p>'
