"""The officer's view of a run's Data Docs: what each validation page shows per rule, and the index page.

* ``annotate`` puts into each expectation result's ``meta["xxgk"]`` what the pages print besides GX's own
  verdict: the rule's status over the batch (不通过 / 无法判断 / 通过 / 不适用), the number of reports of each
  status, the failing reports named by body, year and file with the scopes they break, and the reports that
  could not be assessed. Lists are capped (``SHOWN_FAILING``, ``SHOWN_UNASSESSED``): the stored result keeps
  every failing id in ``unexpected_by_scope``.
* ``write_index`` replaces GX's index page, whose lists are filled by scripts (removed offline), with a
  static page: every validation and every suite of the run, linked, with a status per suite and per rule.

Everything from a report (body names, file names) is escaped here or by GX's views; ``docs.make_offline``
sanitises every page afterwards all the same.
"""
from __future__ import annotations

import html
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from expectations.assess import STATUS_LABELS, STATUSES, ReportName, RuleTally
from expectations.compile import SUITE_TITLES

SHOWN_FAILING = 50  # failing reports named per rule on a validation page
SHOWN_UNASSESSED = 20  # reports not assessable named per rule
SHOWN = {"fail": SHOWN_FAILING, "not_assessable": SHOWN_UNASSESSED}  # ids a run's tally keeps
LOCAL_TIME = ZoneInfo("Asia/Shanghai")
UNNAMED = ReportName("（未提供机关信息）", "", "", "")


def annotate(results: Mapping[str, object], tallies: Mapping[str, RuleTally] | None,
             names: Mapping[str, ReportName] | None) -> None:
    """Add ``meta["xxgk"]`` to every expectation result of every suite validation (in place)."""
    for run in results.values():
        for item in run.results:  # type: ignore[attr-defined]
            rule_id = (item.expectation_config.meta or {}).get("rule_id")
            failing = (item.result or {}).get("unexpected_by_scope") or {}
            labels = (item.expectation_config.meta or {}).get("scopes") or {}
            tally = tallies.get(rule_id) if tallies else None
            item.meta = {**(item.meta or {}), "xxgk": _payload(failing, labels, tally, names or {})}


def _payload(failing: Mapping[str, list[str]], labels: Mapping[str, str], tally: RuleTally | None,
             names: Mapping[str, ReportName]) -> dict:
    """With a tally, the reports named failing are the first it counts as failing (the scopes GX found
    broken beside each); without one, those GX found failing."""
    broken: dict[str, list[str]] = {}
    for key, ids in failing.items():
        for report_id in ids:
            broken.setdefault(str(report_id), []).append(labels.get(key) or key)
    counts = {s: tally.count(s) for s in STATUSES} if tally else {"fail": len(broken)}
    status = tally.status if tally else ("fail" if broken else "pass")
    shown = tally.ids["fail"][:SHOWN_FAILING] if tally else list(broken)[:SHOWN_FAILING]
    unassessed = tally.ids["not_assessable"] if tally else []
    return {"status": status, "counts": counts,
            "failing": [[*_name(i, names), "；".join(broken.get(i, ()))] for i in shown],
            "not_assessable": [_name(i, names) for i in unassessed[:SHOWN_UNASSESSED]]}


def _name(report_id: str, names: Mapping[str, ReportName]) -> list[str]:
    name = names.get(report_id, UNNAMED)
    return [name.body, name.year, name.file, report_id]


# ---------------------------------------------------------------- index page


@dataclass(frozen=True)
class SuitePage:
    """One suite of the run: its name, its pages (relative to the site folder) and its rules' results."""

    name: str
    validation_page: str | None
    suite_page: str | None
    rules: tuple[dict, ...]  # rule_id, title, severity, status, counts

    @property
    def status(self) -> str:
        for status in ("fail", "not_assessable", "pass"):
            if any(r["status"] == status for r in self.rules):
                return status
        return "not_applicable"


def suite_pages(results: Mapping[str, object], pages: Mapping[str, tuple[str | None, str | None]]) -> list[SuitePage]:
    """The run's suites for the index, from the annotated results and the pages GX wrote."""
    out = []
    for name, run in results.items():
        rules = []
        for item in run.results:  # type: ignore[attr-defined]
            meta, ours = item.expectation_config.meta or {}, (item.meta or {}).get("xxgk") or {}
            rules.append({"rule_id": meta.get("rule_id", ""), "title": meta.get("title", ""),
                          "severity": meta.get("severity", ""), "status": ours.get("status", "pass"),
                          "counts": ours.get("counts") or {}})
        out.append(SuitePage(name, *pages.get(name, (None, None)), tuple(rules)))
    return out


def relative(target: Path, site_dir: Path) -> str:
    return Path(os.path.relpath(target, site_dir)).as_posix()


def badge(status: str, text: str | None = None) -> str:
    """A status as text in a coloured box (no icon font, no script): readable printed in black and white."""
    return f'<span class="xxgk-badge xxgk-{status}">{html.escape(text or STATUS_LABELS[status])}</span>'


def write_index(site_dir: Path, suites: list[SuitePage], run_time: datetime, n_reports: int,
                assessed: bool) -> Path:
    """Write ``index.html``: the run, a table of its validations and suites, a table of every rule."""
    local = run_time.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M:%S")
    rules = [r for s in suites for r in s.rules]
    by_status = {s: sum(1 for r in rules if r["status"] == s) for s in STATUSES}
    parts = [_HEAD, "<h1>数据核验文档（Great Expectations）</h1>",
             f"<p>本次验证：{html.escape(local)}（北京时间）；报告 {n_reports} 份；规则 {len(rules)} 条："
             f"{badge('fail')} {by_status['fail']} 条，{badge('not_assessable')} {by_status['not_assessable']} 条，"
             f"{badge('pass')} {by_status['pass']} 条。</p>", _legend(assessed),
             "<h2>验证结果与规则套件</h2>", _suite_table(suites), "<h2>逐条规则</h2>", _rule_table(suites),
             "</main></body></html>\n"]
    index = site_dir / "index.html"
    index.write_text("\n".join(parts), encoding="utf-8")
    return index


_HEAD = ('<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
         '<meta name="viewport" content="width=device-width, initial-scale=1">'
         "<title>数据核验文档 · xxgk</title></head><body><main class=\"xxgk-index\">")


def _legend(assessed: bool) -> str:
    text = ("<p class=\"xxgk-legend\">状态：" + badge("fail") + " 至少一份报告不符合该规则；" + badge("not_assessable")
            + " 无报告不符，但有报告因数字或内容缺失、无法读取而未能核对；" + badge("pass")
            + " 每份适用的报告都已核对且符合；" + badge("not_applicable") + " 本批报告均不适用。"
            "逐份报告的结论以审核清单（audit_list）为准。</p>")
    if not assessed:
        text += "<p class=\"xxgk-legend\">本次未统计“无法判断”的报告（调用方未提供报告信息），仅列出不符的报告。</p>"
    return text


def _link(page: str | None, text: str) -> str:
    return f'<a href="{html.escape(page)}">{html.escape(text)}</a>' if page else "（页面未生成）"


def _suite_table(suites: list[SuitePage]) -> str:
    rows = ["<table><thead><tr><th>套件</th><th>内容</th><th>状态</th><th>规则数</th><th>不通过</th><th>无法判断</th>"
            "<th>通过</th><th>验证结果</th><th>规则说明</th></tr></thead><tbody>"]
    for suite in suites:
        count = {s: sum(1 for r in suite.rules if r["status"] == s) for s in STATUSES}
        rows.append(f"<tr><td>{html.escape(suite.name)}</td><td>{html.escape(SUITE_TITLES.get(suite.name, ''))}</td>"
                    f"<td>{badge(suite.status)}</td><td>{len(suite.rules)}</td><td>{count['fail']}</td>"
                    f"<td>{count['not_assessable']}</td><td>{count['pass']}</td>"
                    f"<td>{_link(suite.validation_page, '查看验证结果')}</td>"
                    f"<td>{_link(suite.suite_page, '查看规则套件')}</td></tr>")
    return "".join(rows) + "</tbody></table>"


def _rule_table(suites: list[SuitePage]) -> str:
    rows = ["<table><thead><tr><th>规则</th><th>名称</th><th>级别</th><th>状态</th><th>不符（份）</th>"
            "<th>无法判断（份）</th><th>通过（份）</th><th>不适用（份）</th><th>详情</th></tr></thead><tbody>"]
    for suite in suites:
        for rule in suite.rules:
            counts = rule["counts"]
            cells = [str(counts[s]) if s in counts else "未统计" for s in STATUSES]
            level = "错误" if rule["severity"] == "error" else "警示"
            rows.append(f"<tr><td>{html.escape(rule['rule_id'])}</td><td>{html.escape(rule['title'])}</td>"
                        f"<td>{level}</td><td>{badge(rule['status'])}</td>"
                        + "".join(f"<td class=\"xxgk-n\">{c}</td>" for c in cells)
                        + f"<td>{_link(suite.validation_page, '验证结果')}</td></tr>")
    return "".join(rows) + "</tbody></table>"
