"""One page per body: every report by year, its findings of the latest run with the cells and numbers,
and year-over-year charts of applications and outcomes."""
from __future__ import annotations

from collections.abc import Mapping

from portal.charts import grouped_bars
from portal.data import TABLE_CELL, Body, Finding, Report, Snapshot
from portal.markup import CELL_STATE, DECISION, KIND, PARSE, STATUS, badge, esc, link, num, page, table, tag
from rules.catalogue import Rule

APPLICATIONS = ("t3.new.total", "本年新收申请")
OUTCOMES = (("t3.granted.total", "予以公开"), ("t3.partial.total", "部分公开"), ("t3.result_total.total", "办理结果总计"))


def render(snap: Snapshot, body: Body, rules: Mapping[str, Rule], rule_slugs: Mapping[str, str]) -> str:
    """The whole page of ``body``."""
    parts = [_header(snap, body), _charts(body)]
    years = sorted(set(body.years()) | set(body.gap_years()) | (set(snap.years()) if body.registered else set()))
    for year in years:
        parts.append(_year(body, year, rules, rule_slugs))
    if body.reports_of(None) or body.gaps_of(None):
        parts.append(_year(body, None, rules, rule_slugs))
    if not body.reports:
        parts.append('<p class="note">最近一次运行中没有该机关的年报。</p>')
    return page(f"{body.name} — 年报检查结果", "\n".join(parts), root="../")


def _header(snap: Snapshot, body: Body) -> str:
    county = snap.county_of(body)
    state = tag("span", "不合规", "badge err") if body.non_compliant else tag("span", "无错误", "badge ok")
    kind = body.kind_shown
    facts = [("机关编码", esc(body.body_id)), ("类别", esc(KIND.get(kind or "", kind))), ("所属区县", esc(county.name)),
             ("名录", "已登记" if body.registered else "未登记（按年报所印名称归并）")]
    items = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in facts)
    return (f'<p class="crumb">{link("../index.html", "全市概况")}</p>'
            f"<h1>{esc(body.name)} {state}</h1><dl class=\"facts\">{items}</dl>")


def _series(body: Body, cell_id: str, years: list[int]) -> list[float | None]:
    out = []
    for year in years:
        values = [r.cells[cell_id].value for r in body.reports_of(year)
                  if cell_id in r.cells and r.cells[cell_id].state == "number" and r.cells[cell_id].value is not None]
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
    return f'<section class="year"><h2>{esc(label)}</h2>{blocks}{gaps}</section>'


def _report(body: Body, report: Report, rules: Mapping[str, Rule], rule_slugs: Mapping[str, str]) -> str:
    meta = [("文件", esc(report.source_path)), ("格式", esc(report.source_format)), ("版式", esc(report.edition)),
            ("解析状态", esc(PARSE.get(report.parse_status or "", report.parse_status))),
            ("解析问题", esc("；".join(report.problems)) if report.problems else "无"),
            ("报告编号（sha256）", tag("code", esc(report.report_id)))]
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in meta)
    findings = sorted(report.findings, key=lambda f: f.sort_key)
    fails = [f for f in findings if f.status == "fail"]
    detail = "".join(_finding(body, report, f, rules.get(f.rule_id), rule_slugs) for f in fails)
    summary = tag("p", f"不通过 {len(fails)} 项" + ("：" if fails else "。"), "count")
    return (f'<div class="report"><dl class="facts">{rows}</dl>{summary}{detail}'
            f"{_unassessable(findings, rule_slugs)}{_quiet(findings, rule_slugs)}</div>")


def _rule_link(rule_id: str, rule_slugs: Mapping[str, str]) -> str:
    return link(f"../rules/{rule_slugs[rule_id]}.html", rule_id) if rule_id in rule_slugs else esc(rule_id)


def _finding(body: Body, report: Report | None, f: Finding, rule: Rule | None, rule_slugs: Mapping[str, str]) -> str:
    title = esc(rule.title) if rule else "（规则目录中已无此规则）"
    basis = esc(rule.basis) if rule else esc(None)
    cls = "finding waived" if f.decision == "waived" else "finding"
    return (f'<article class="{cls}"><h3>{badge(f.severity)} {_rule_link(f.rule_id, rule_slugs)} {title}</h3>'
            f'<p class="msg">{esc(f.message)}</p><p class="basis"><strong>依据：</strong>{basis}</p>'
            f"{_cells(body, report, f)}{_numbers(f)}{_review(f)}</article>")


def _cells(body: Body, report: Report | None, f: Finding) -> str:
    """The cited table cells: id, where printed, printed text, value read, state (side by side)."""
    rows = []
    for i, cell_id in enumerate(f.cell_ids):
        if not TABLE_CELL.match(cell_id):
            continue
        cell, source = body.cell(report, cell_id)
        printed_at = f.locators[i] if len(f.locators) == len(f.cell_ids) else None
        where = cell.locator if cell and cell.locator else printed_at
        where_text = "，".join(esc(x) for x in (source, where) if x) or esc(None)
        rows.append([tag("code", esc(cell_id)), where_text, tag("span", esc(cell.raw if cell else None), "raw"),
                     num(cell.value) if cell else "（未读到）",
                     esc(CELL_STATE.get(cell.state or "", cell.state) if cell else None)])
    derived = [c for c in f.cell_ids if not TABLE_CELL.match(c)]
    note = (f'<p class="note">派生指标（不是年报中的单元格）：{"、".join(tag("code", esc(c)) for c in derived)}</p>'
            if derived else "")
    return (table(["单元格", "位置", "原文（所印）", "读取值", "状态"], rows, "cells") if rows else "") + note


def _numbers(f: Finding) -> str:
    if not f.expected and not f.observed:
        return ""
    expected = "、".join(num(v) for v in f.expected) or esc(None)
    observed = "、".join(num(v) for v in f.observed) or esc(None)
    return (f'<p class="numbers"><span>应为：<strong>{expected}</strong></span> '
            f'<span>实为：<strong>{observed}</strong></span></p>')


def _review(f: Finding) -> str:
    if f.decision:
        who = "，".join(esc(x) for x in (f.reason, f.reviewer, f.decided_at) if x)
        decision = f"{esc(DECISION.get(f.decision, f.decision))}（{who}）"
    else:
        decision = "未复核"
    return f'<p class="meta">指纹 <code>{esc(f.fingerprint)}</code> · 复核：{decision}</p>'


def _unassessable(findings: list[Finding], rule_slugs: Mapping[str, str]) -> str:
    rows = [[_rule_link(f.rule_id, rule_slugs), badge(f.severity), esc(f.message)]
            for f in findings if f.status == "not_assessable"]
    return (tag("h4", "无法判断") + table(["规则", "程度", "原因"], rows)) if rows else ""


def _quiet(findings: list[Finding], rule_slugs: Mapping[str, str]) -> str:
    parts = []
    for status in ("pass", "not_applicable"):
        ids = [f.rule_id for f in findings if f.status == status]
        if ids:
            links = "、".join(_rule_link(i, rule_slugs) for i in ids)
            parts.append(f'<p class="quiet"><strong>{esc(STATUS[status])}：</strong>{links}</p>')
    return "".join(parts)
