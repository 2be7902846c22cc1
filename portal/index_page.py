"""The city overview, in the order the office works: which bodies to chase and why (with their 整改通知
drafts), the filings that are missing, counties ranked, the most common failed rules, the years; then the
bodies with warnings only, every body, every rule and the run."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta

from portal.charts import grouped_bars, meter
from portal.data import Body, Finding, Snapshot
from portal.fragments import Fragments
from portal.links import Links
from portal.markup import (DECISION, anchor, badge, cells, details, esc, finding_id, link, page, raw_link, rows_table,
                           section, table, tag)
from portal.stats import (CountyStats, Todo, bodies_by_county, county_stats, missing_filings, pending_reports,
                          rule_counts, todos, year_stats)
from portal.verdicts import BADGE_CLASS, OUTCOME_LABELS, VERDICT_LABELS
from portal.cellnames import humanize
from rules.catalogue import Rule

TOP_RULES = 10
SHOWN_REASONS = 4           # reasons of a 待核实 report on the overview (its body page lists all)
NAMES_PER_RULE = 6
BEIJING = timedelta(hours=8)   # runs record UTC; the office reads Beijing time (no daylight saving)


def render(snap: Snapshot, rules: Mapping[str, Rule], rule_slugs: Mapping[str, str], links: Links,
           fragments: Fragments | None = None) -> str:
    """The whole index page; ``links`` holds the Data Docs markup and the files next to the site. The rows
    of bodies that did not change are taken from ``fragments`` when given (its context must cover this
    code, ``rules``, ``rule_slugs`` and the run's years)."""
    fragments = fragments if fragments is not None else Fragments(None, "")
    chase, watch = todos(snap)
    missing = missing_filings(snap)
    counties = county_stats(snap)
    pending = pending_reports(snap)
    parts = [tag("h1", "政府信息公开工作年度报告 合规检查概况"), _summary(snap, chase, watch, missing, pending, links),
             _todo(chase, rules, rule_slugs, links, fragments), _pending(snap, pending), _files(snap),
             _withdrawn(snap), _harvest(snap),
             _missing(snap, missing, links), _counties(counties),
             _rules_top(snap, rules, rule_slugs), _years(snap), _watch(watch, rules, rule_slugs, fragments),
             _bodies(snap, counties, fragments), _rule_list(rules, rule_slugs), _run(snap, links)]
    return page("全市政府信息公开年报合规概况", "\n".join(parts))


# ---------------------------------------------------------------- at a glance


def _when(value: datetime | None) -> str:
    return (value + BEIJING).strftime("%Y-%m-%d %H:%M") + "（北京时间）" if isinstance(value, datetime) else esc(value)


def _summary(snap: Snapshot, chase: list[Todo], watch: list[Todo], missing: list[tuple[Body, Finding]],
             pending: list, links: Links) -> str:
    if snap.run is None:
        return '<p class="note">尚无已完成的检查运行。</p>'
    years = snap.years()
    span = f"{years[0]}–{years[-1]} 年度" if len(years) > 1 else (f"{years[0]} 年度" if years else "年度不详")
    reports = snap.reports
    counted = Counter(r.verdict for r in reports)
    verdicts = {v: counted[v] for v in VERDICT_LABELS}
    shown = "".join(f"{VERDICT_LABELS[v]} {n} 份、" for v, n in verdicts.items()).rstrip("、")
    scope = (f"；检查年度 {'、'.join(map(str, snap.run.years))}" if snap.run.years else "")
    lead = (f'<p class="lead">检查批次 <code>{esc(snap.run.run_id)}</code>，完成于 {_when(snap.run.finished_at)}；'
            f"{esc(span)}年报 {len(reports)} 份（{esc(shown)}），涉及机关 {len(snap.bodies)} 个{esc(scope)}。</p>")
    n_pending_bodies = len({b.key for b, _ in pending})
    unread = sum(f.outcome in ("failed", "unsupported") for f in snap.problem_files)
    tiles = [("todo", "err" if chase else "ok", len(chase), "个机关不合规", "有未整改的“错误”级问题，应发整改通知"),
             ("pending", "pending" if pending or unread else "ok", len(pending), "份年报待核实",
              f"涉及 {n_pending_bodies} 个机关；未能完整检查，不能判为合规"
              + (f"；另有 {unread} 个文件无法读取" if unread else "")),
             ("missing", "warn" if missing else "ok", len(missing), "份年报未报送",
              "名录中的机关在检查年度内逾期未公布" if snap.registered else "未载入机关名录，无法判断"),
             ("watch", "warn" if watch else "ok", len(watch), "个机关仅有警示", "无错误，有需要留意的警示")]
    cards = "".join(raw_link("index.html", f"<strong>{n}</strong><span>{esc(label)}</span><small>{esc(hint)}</small>",
                             f"tile {cls}", ident) for ident, cls, n, label, hint in tiles)
    files = [links.docs] if links.docs.startswith("<a ") else []
    files = [link(path, label) for label, path in links.downloads] + files
    actions = (f'<p class="actions"><strong>下载与核查：</strong>{" · ".join(files)}</p>' if files else "")
    return lead + f'<div class="tiles">{cards}</div>' + actions


# ---------------------------------------------------------------- who to chase, and why


def _issues(todo: Todo, rules: Mapping[str, Rule], rule_slugs: Mapping[str, str]) -> str:
    """One line per open fail: severity, year, the rule's Chinese title (→ the finding on the body page),
    the rule id (→ the rule page)."""
    items = []
    for report, f in todo.fails:
        title = rules[f.rule_id].title if f.rule_id in rules else (f.message or f.rule_id)
        year = f"{f.year} 年" if f.year is not None else "年度不详"
        what = "（未报送）" if report is None and f.rule_id == "REG-MISSING" else ""
        rule = (link(f"rules/{rule_slugs[f.rule_id]}.html", f.rule_id, "rid") if f.rule_id in rule_slugs
                else esc(f.rule_id))
        detail = link(f"bodies/{todo.body.slug}.html", title + what, fragment=finding_id(f.fingerprint))
        review = (tag("span", esc(DECISION.get(f.decision, f.decision)), "reviewed") if f.decision else "")
        items.append(f'<li>{badge(f.severity)} <span class="yr">{esc(year)}</span> {detail} {rule} {review}</li>')
    return f'<ul class="issues">{"".join(items)}</ul>'


def _notice(links: Links, body: Body) -> str:
    path = links.notice(body.key)
    return link(path, "整改通知（Word）", "notice") if path else tag("span", "未生成", "muted")


def _years_of(todo: Todo) -> str:
    return "、".join("不详" if y is None else str(y) for y in todo.years)


TODO_HEADERS = ("机关", "所属区县", "年度", "错误", "警示", "未通过的规则", "整改通知")


def _todo(chase: list[Todo], rules: Mapping[str, Rule], rule_slugs: Mapping[str, str], links: Links,
          fragments: Fragments) -> str:
    head = tag("h2", f"不合规、需要督办的机关（{len(chase)} 个）")
    if not chase:
        return section("todo", head + '<p class="note">最近一次运行中没有机关存在未整改的“错误”级问题。</p>')
    note = ('<p class="note">按错误数排序。点击问题查看年报所印数字与出处；“整改通知”是按模板生成的 Word 草稿，'
            "核对后即可印发。已豁免的问题不在此列。</p>")
    rows = ("<tr>" + fragments.get(("todo", t.body.digest, t.county), lambda t=t: cells(TODO_HEADERS, [
                link(f"bodies/{t.body.slug}.html", t.body.name, "body"), esc(t.county.name), esc(_years_of(t)),
                tag("span", str(t.n_errors), "num err"),
                tag("span", str(t.n_warnings), "num warn" if t.n_warnings else "num"),
                _issues(t, rules, rule_slugs)]))
            + cells(TODO_HEADERS, [_notice(links, t.body)], len(TODO_HEADERS) - 1) + "</tr>" for t in chase)
    return section("todo", head + note + rows_table(TODO_HEADERS, rows, "stack todo"))


def _pending(snap: Snapshot, pending: list) -> str:
    """The reports that could not be fully checked, each with what could not be read and why."""
    head = tag("h2", f"待核实的年报（{len(pending)} 份，{len({b.key for b, _ in pending})} 个机关）")
    if not pending:
        return section("pending", head + '<p class="note">所有年报均已完整检查。</p>')
    note = ('<p class="note">这些年报未能完整检查（文件无法读取、部分内容未能识别，或“错误”级规则所需的数据缺失），'
            "既不能判为合规，也不能据此发整改通知。请人工核对原文，或取得可读的文件后重新运行。</p>")
    rows = [[link(f"bodies/{b.slug}.html", b.name, "body"), esc(snap.county_of(b).name), esc(r.year),
             esc(_file_name(r.source_path)), _reasons(r.reasons, r.edition, r.year)] for b, r in pending]
    return section("pending", head + note + table(["机关", "所属区县", "年度", "文件", "原因"], rows, "stack pending"))


def _file_name(path: str | None) -> str | None:
    return path.replace("\\", "/").rsplit("/", 1)[-1] if path else None


def _reasons(reasons: tuple[str, ...], edition: str | None = None, year: int | None = None) -> str:
    if not reasons:
        return esc(None)
    more = f"<li>另有 {len(reasons) - SHOWN_REASONS} 条（详见机关页面）</li>" if len(reasons) > SHOWN_REASONS else ""
    return ('<ul class="reasons">' + "".join(f"<li>{esc(brief(humanize(r, edition, year)))}</li>"
                                             for r in reasons[:SHOWN_REASONS]) + more + "</ul>")


def brief(text: str | None, limit: int = 160) -> str | None:
    """``text`` cut to ``limit`` characters (the body page has it in full)."""
    if text is None or len(text) <= limit:
        return text
    return text[:limit].rstrip("；;，, ") + "……（详见机关页面）"


def _files(snap: Snapshot) -> str:
    """The run's files that could not be read in full (failed, unsupported, partial), with the reason."""
    files = snap.problem_files
    head = tag("h2", f"未能完整读取的文件（{len(files)} 个）")
    if not files:
        return section("files", head + '<p class="note">本次运行找到的文件均已完整读取。</p>')
    rows = [[esc(f.path), tag("span", esc(OUTCOME_LABELS.get(f.outcome, f.outcome)),
                              "badge err" if f.outcome in ("failed", "unsupported") else "badge pending"),
             esc(brief(humanize(f.reason)))] for f in files]
    return section("files", head + table(["文件", "结果", "原因"], rows, "stack files"))


def _withdrawn(snap: Snapshot) -> str:
    """Reports whose file is gone since an earlier run: kept with their history, the year unpublished unless
    a corrected version replaced them."""
    if not snap.withdrawn:
        return ""
    rows = [[esc(w["body_name"] or "（未识别机关）"), esc(str(w["year"] or "—")), esc(_file_name(w["source_path"]) or "—"),
             _when(w["withdrawn_at"]),
             "已由更正版本替代" if w["replaced_by"] else tag("span", "年度视为未公布", "badge err")]
            for w in snap.withdrawn]
    head = tag("h2", f"已撤回的报告（{len(snap.withdrawn)} 份）")
    return section("withdrawn", head + table(["机关", "年度", "文件", "撤回时间", "状态"], rows, "stack"))


def _harvest(snap: Snapshot) -> str:
    """The latest harvest of the bodies' websites: reached, found, new/changed/unchanged, unreachable sites."""
    s = snap.harvest
    if not s:
        return ""
    line = (f"采集 {esc(s.get('harvest_id', ''))}：机关 {s.get('bodies', 0)} 个（网站可访问 {s.get('bodies_reached', 0)}，"
            f"无法访问 {s.get('bodies_unreachable', 0)}），找到年度报告 {s.get('reports_found', 0)} 份（新 {s.get('new', 0)}，"
            f"网站上已更新 {s.get('changed', 0)}，未变化 {s.get('unchanged', 0)}）")
    if s.get("linked_files"):  # one report per article: the page's other files are kept, not judged again
        line += f"；一篇文章的网页与附件算一份报告，另有 {int(s['linked_files'])} 个文件（副本、附表等）已存档并关联"
    rows = [[esc(u.get("name", "")), esc(src.get("url", "")), esc(src.get("error", ""))]
            for u in s.get("unreachable_sites", []) for src in u.get("sources", [])]
    body = tag("p", line) + (tag("p", "无法访问的网站（相关机关列为待核实）：") +
                             table(["机关", "网址", "原因"], rows, "stack") if rows else "")
    return section("harvest", tag("h2", "网站采集") + body)


def _missing(snap: Snapshot, missing: list[tuple[Body, Finding]], links: Links) -> str:
    head = tag("h2", f"未报送年报（{len(missing)} 份）")
    if not snap.registered:
        return section("missing", head + '<p class="note">未载入机关名录（--register），无法判断哪些机关未报送。</p>')
    if not missing:
        return section("missing", head + '<p class="note">名录中的机关均已报送应报年度的年报。</p>')
    rows = [[link(f"bodies/{b.slug}.html", b.name, "body"), esc(snap.county_of(b).name), esc(f.year),
             esc(f.message), _notice(links, b)] for b, f in missing]
    return section("missing", head + table(["机关", "所属区县", "年度", "说明", "整改通知"], rows, "stack gaps"))


def _counties(stats: list[CountyStats]) -> str:
    top = max((c.share for c in stats if c.ranked), default=0)
    rank = 0
    rows = []
    for c in stats:
        rank += c.ranked
        rows.append([str(rank) if c.ranked else "不排名", link("index.html", c.county.name,
                                                           fragment=_county_anchor(c.county.key)),
                     str(c.n_non_compliant), str(c.n_needs_review), str(c.n_errors), str(c.n_missing),
                     str(c.n_warning_only), str(c.n_bodies),
                     meter(c.share, top, f"{c.county.name} 不合规机关占比", f"{c.share:.0%}")])
    note = ('<p class="note">区县按名录的上级关系归并：县（区）人民政府计入本县（区）；市政府及其直属部门、园区为“市本级”；'
            "名录中无上级的机关列为“未归属区县”。市本级与未归属区县不参与排名。按不合规机关占全部机关的比例排名；"
            "点击区县查看其全部机关。机关数、不合规、待核实按机关计，错误、未报送按项（份）计。</p>")
    return section("counties", tag("h2", "区县排名") + note
                   + table(["名次", "区县", "不合规机关", "待核实机关", "错误（项）", "未报送（份）", "仅有警示机关",
                            "机关数", "不合规占比"], rows, "counties"))


def _rules_top(snap: Snapshot, rules: Mapping[str, Rule], rule_slugs: Mapping[str, str]) -> str:
    counts = rule_counts(snap)[:TOP_RULES]
    head = tag("h2", "最常见的问题")
    if not counts:
        return section("rules-top", head + '<p class="note">没有未豁免的不通过项。</p>')
    who: dict[str, list[tuple[Body, int | None]]] = {}
    for body in snap.bodies.values():
        for _, f in body.open_fails:
            who.setdefault(f.rule_id, []).append((body, f.year))
    top = counts[0].n_reports
    rows = []
    for c in counts:
        title = esc(rules[c.rule_id].title) if c.rule_id in rules else "—"
        hits = sorted(who.get(c.rule_id, []), key=lambda p: (p[0].name, p[1] or 0))
        names = "、".join(link(f"bodies/{b.slug}.html", f"{b.name}（{y if y is not None else '年度不详'}）")
                         for b, y in hits[:NAMES_PER_RULE])
        more = f" 等 {len(hits)} 处" if len(hits) > NAMES_PER_RULE else ""
        rows.append([title, link(f"rules/{rule_slugs[c.rule_id]}.html", c.rule_id), badge(c.severity),
                     meter(c.n_reports, top, f"{c.rule_id} 不通过次数"), names + more])
    note = '<p class="note">次数按年报计（未报送的年度也算一次）；已豁免的不计。</p>'
    return section("rules-top", head + note + table(["未通过的规则", "规则", "程度", "次数", "涉及机关"], rows,
                                                    "stack rules-top"))


def _years(snap: Snapshot) -> str:
    stats = year_stats(snap)
    if not stats:
        return section("years", tag("h2", "年度概况") + '<p class="note">没有可统计的年报。</p>')
    unknown = "—（未载入名录）" if not snap.registered else "—（不在检查年度内）"
    rows = [[esc(s.year), str(s.filed), str(s.missing) if s.missing is not None else tag("span", unknown, "unknown"),
             str(s.compliant), str(s.needs_review), str(s.non_compliant)] for s in stats]
    series = [("合规", [s.compliant for s in stats]), ("待核实", [s.needs_review for s in stats]),
              ("不合规", [s.non_compliant for s in stats])]
    if snap.registered:
        series.append(("未报送", [s.missing for s in stats]))
    note = ('<p class="note">按年报份数计。合规：每条适用的“错误”级规则都已检查并通过；待核实：未能完整检查；'
            "不合规：至少一项未豁免的“错误”级不通过。未报送只统计本次检查的年度。</p>")
    return section("years", tag("h2", "年度概况")
                   + table(["年度", "已报送（份）", "未报送（份）", "合规", "待核实", "不合规"], rows)
                   + note + grouped_bars("各年度年报检查结果（份）", [s.year for s in stats], series, "c-years",
                                         (0, 3, 1, 2)))


# ---------------------------------------------------------------- everything else, folded


WATCH_HEADERS = ("机关", "所属区县", "年度", "警示", "未通过的规则")


def _watch(watch: list[Todo], rules: Mapping[str, Rule], rule_slugs: Mapping[str, str], fragments: Fragments) -> str:
    head = tag("h2", f"仅有警示的机关（{len(watch)} 个）")
    if not watch:
        return section("watch", head + '<p class="note">没有仅有警示的机关。</p>')
    rows = (fragments.get(("watch", t.body.digest, t.county), lambda t=t: "<tr>" + cells(WATCH_HEADERS, [
                link(f"bodies/{t.body.slug}.html", t.body.name, "body"), esc(t.county.name), esc(_years_of(t)),
                str(t.n_warnings), _issues(t, rules, rule_slugs)]) + "</tr>") for t in watch)
    body = rows_table(WATCH_HEADERS, rows, "stack watch")
    return section("watch", head + details("展开：警示不要求发整改通知，宜核实后在下年度报告中规范", body))


def _bodies(snap: Snapshot, counties: list[CountyStats], fragments: Fragments) -> str:
    years = snap.years()
    headers = ("机关", "编码", *(f"{y}年" for y in years))
    parts = [tag("h2", "全部机关（按区县）")]
    for county, bodies in bodies_by_county(snap, counties):
        rows = [fragments.get(("body", b.digest, tuple(years)), lambda b=b: "<tr>" + cells(headers, [
                    link(f"bodies/{b.slug}.html", b.name), esc(b.body_id), *(_cell(b, y) for y in years)]) + "</tr>")
                for b in bodies]
        bad = sum(b.non_compliant for b in bodies)
        review = sum(b.verdict == "needs_review" for b in bodies)
        summary = (f"{esc(county.name)} <span class=\"muted\">（机关 {len(bodies)} 个，不合规 {bad} 个，"
                   f"待核实 {review} 个）</span>")
        parts.append(f'<div id="{_county_anchor(county.key)}">'
                     + details(summary, rows_table(headers, rows), cls="county") + "</div>")
    return section("bodies", "".join(parts))


def _county_anchor(key: str | None) -> str:
    return anchor(f"county-{key}" if key is not None else "county-none")


MISSING = tag("span", "未报送", "badge miss")
VERDICT_BADGES = {v: tag("span", label, f"badge {BADGE_CLASS[v]}") for v, label in VERDICT_LABELS.items()}


def _cell(body: Body, year: int) -> str:
    """The body's verdict for ``year``: 不合规 / 待核实 / 合规 for its reports, 未报送 for a missing filing the run
    found, else “—” (not filed and not checked, e.g. a year outside the run's years)."""
    if not body.reports_of(year):
        missing = body.missing_in(year)
        if missing is None:
            return "—"
        return MISSING if missing.status == "fail" else VERDICT_BADGES["needs_review"]
    return VERDICT_BADGES.get(body.verdict_in(year) or "", "—")


def _rule_list(rules: Mapping[str, Rule], rule_slugs: Mapping[str, str]) -> str:
    rows = [[link(f"rules/{slug}.html", rule_id), esc(rules[rule_id].title) if rule_id in rules else "—",
             badge(rules[rule_id].severity) if rule_id in rules else "—"] for rule_id, slug in rule_slugs.items()]
    return section("rules", tag("h2", "规则一览")
                   + details(f"展开全部 {len(rows)} 条规则", table(["规则", "名称", "程度"], rows)))


def _run(snap: Snapshot, links: Links) -> str:
    if snap.run is None:
        return ""
    run = snap.run
    facts = [("运行编号", esc(run.run_id)), ("开始时间", _when(run.started_at)), ("完成时间", _when(run.finished_at)),
             ("年报份数", esc(run.n_reports)), ("规则目录版本", esc(run.catalogue)), ("Data Docs", links.docs)]
    return section("run", tag("h2", "本次运行") + '<dl class="facts">'
                   + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>")
