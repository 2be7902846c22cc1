"""整改通知 drafts: one Word file per non-compliant body of the latest run, from an editable template, and an
index of the current drafts.

The letter is written for the body that receives it: its reports named by title and publication date,
cells by their printed names, what to do worded by kind of problem (a report never published is asked to
be published, wrong numbers to be checked, corrected and published again, a report off the template to be
completed, …). Rule ids, canonical cell ids and severity words stay out of the letter; the appendix table
(附件：问题明细表) lists each problem with its rule id for the office's own reference.

The template is an ordinary .docx the office edits in Word (``portal/templates/notice_template.docx``,
made by ``make_template``; see ``portal.notice_template`` for its GB/T 9704 layout). Placeholders:

    {{机关名称}} {{机关编码}} {{所属区县}} {{年度}} {{问题数}} {{日期}} {{运行编号}}     (inline)
    {{问题清单}} {{整改要求}}                                                  (paragraphs)
    {{附件表}}                                                                (a table)

A draft of an earlier build whose body no longer needs one (its problems were all waived, or corrected) is
moved into ``已撤销/`` beside the drafts; ``index.html`` and ``index.csv`` there list the current drafts and
those withdrawn.
"""
from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from portal import data
from portal.cellnames import cell_name, humanize
from portal.digests import shown_rules_key
from portal.markup import DECISION, SEVERITY, esc, href
from portal.names import file_label
from portal.notice_drafts import DraftCache, Drafter, DraftJob, default_template, write_drafts
from portal.notice_fill import Block, Grid, Line, fill, replace_in_paragraph
from portal.notice_template import template_document
from rules.catalogue import Rule, catalogue

__all__ = ["write_notices", "write_notices_for", "notice_targets", "draft_jobs", "write_drafts", "notice_path",
           "default_template", "make_template", "fill", "replace_in_paragraph", "requirement", "problem_kind",
           "today_in_china"]

CHINA = ZoneInfo("Asia/Shanghai")
NUMERALS = "一二三四五六七八九十"
WITHDRAWN = "已撤销"
INDEX_HTML, INDEX_CSV = "index.html", "index.csv"
FOLD_CELLS = 12          # a problem citing more cells names those not 0 and counts the rest


def today_in_china() -> date:
    """Today's date in Beijing time (a notice is dated as the office reads its calendar)."""
    return datetime.now(CHINA).date()


# ---------------------------------------------------------------- public API


def write_notices(db_path: Path, out_dir: Path, template: Path | None = None, *,
                  today: date | None = None, cache_dir: Path | None = None, index: bool = True) -> list[Path]:
    """Write one 整改通知 draft per body with an open error-level fail in the latest completed run into
    ``out_dir``; return the paths (sorted by body name). ``template`` defaults to the shipped
    ``portal/templates/notice_template.docx``; ``cache_dir`` as in ``write_notices_for``."""
    with data.collector_paused():
        return write_notices_for(data.load(Path(db_path), details=False), out_dir, template, today=today,
                                 cache_dir=cache_dir, index=index)


def write_notices_for(snap: data.Snapshot, out_dir: Path, template: Path | None = None, *,
                      today: date | None = None, cache_dir: Path | None = None, index: bool = True) -> list[Path]:
    """``write_notices`` from an already loaded snapshot; with ``index`` (the default) also ``file_drafts``:
    the drafts in ``out_dir`` no longer current are withdrawn and the index is written.

    The template is read once. Each draft's text (everything but the run id and the date) is filled in once
    and kept in ``cache_dir`` when given (``build_all`` keeps it beside the runs' draft folders), under the
    digest of everything it is made from: a later build whose draft would be made from the same data only
    puts in the run id and the date, and a draft already written with the same run id and date is kept."""
    out_dir = Path(out_dir)
    targets = notice_targets(snap, out_dir)
    if targets:
        out_dir.mkdir(parents=True, exist_ok=True)
        write_drafts(draft_jobs(snap, targets, template, today=today, cache_dir=cache_dir), template,
                     shown_rules_key(catalogue()), cache_dir)
    if index:
        file_drafts(snap, out_dir, targets)
    return [path for _, path in targets]


def draft_jobs(snap: data.Snapshot, targets: Sequence[tuple[data.Body, Path]], template: Path | None = None, *,
               today: date | None = None, cache_dir: Path | None = None,
               cache: DraftCache | None = None, also: Sequence[data.Body] = ()) -> list[DraftJob]:
    """What ``write_drafts`` needs to write the drafts of ``targets`` (``notice_targets``): each draft's
    values and content key, and its blocks when ``cache_dir`` (or the already read ``cache``) does not keep
    its filled text (the details of those bodies are read a group at a time; those of ``also`` with the
    first group's and kept, see ``Snapshot.in_groups``)."""
    rules = catalogue()
    today = today or today_in_china()
    drafter, cache = Drafter(template, shown_rules_key(rules)), cache if cache is not None else DraftCache(cache_dir)
    values = {body.key: notice_values(snap, body, today) for body, _ in targets}
    keys = {body.key: drafter.content_key(values[body.key], body.digest) for body, _ in targets}
    paths = {body.key: path for body, path in targets}
    fresh = {key for key, content in keys.items() if content is None or not cache.has(content)}
    jobs = []
    for group in snap.in_groups((body for body, _ in targets), lambda b: b.key in fresh, also=also):
        jobs += [DraftJob(paths[b.key], values[b.key], keys[b.key],
                          notice_blocks(b, rules) if b.key in fresh else None) for b in group]
    return jobs


def file_drafts(snap: data.Snapshot, out_dir: Path, targets: Sequence[tuple[data.Body, Path]]) -> Path | None:
    """Withdraw the drafts of ``out_dir`` that are not among ``targets`` and write the index of the drafts
    (``index.html``, ``index.csv``); return the index page (None when ``out_dir`` holds no draft at all)."""
    out_dir = Path(out_dir)
    withdrawn = withdraw_stale(out_dir, [path for _, path in targets]) if out_dir.is_dir() else []
    if not targets and not withdrawn:
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_index(snap, out_dir, targets, withdrawn)[0]


def notice_targets(snap: data.Snapshot, out_dir: Path) -> list[tuple[data.Body, Path]]:
    """The bodies that get a draft (an open error-level fail), sorted by name, each with its draft's path."""
    bodies = sorted((b for b in snap.bodies.values() if b.non_compliant), key=lambda b: (b.name, b.key))
    return [(body, notice_path(out_dir, body)) for body in bodies]


def notice_path(out_dir: Path, body: data.Body) -> Path:
    """Where ``body``'s draft is written in ``out_dir`` (a readable name and the body's unique page slug)."""
    return Path(out_dir) / f"整改通知_{file_label(body.name) or '机关'}_{body.slug}.docx"


def make_template(path: Path) -> Path:
    """Create the default template with python-docx (how the shipped file was made)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    template_document().save(str(path))
    return path


# ---------------------------------------------------------------- content


def notice_values(snap: data.Snapshot, body: data.Body, today: date) -> dict[str, str]:
    """The inline placeholders of one notice."""
    fails = body.open_fails
    years = sorted({f.year for _, f in fails if f.year is not None})
    return {"机关名称": body.name, "机关编码": body.body_id or "（未登记）", "所属区县": snap.county_of(body).name,
            "年度": "、".join(str(y) for y in years) or "（年度不详）", "问题数": str(len(fails)),
            "日期": f"{today.year}年{today.month}月{today.day}日",
            "运行编号": snap.run.run_id if snap.run else ""}


def notice_blocks(body: data.Body, rules: Mapping[str, Rule]) -> dict[str, Block]:
    """The block placeholders of one notice: the problems, what to do, the appendix table."""
    return {"问题清单": problem_lines(body, rules), "整改要求": requirement_lines(body),
            "附件表": appendix(body, rules)}


def problem_kind(rule_id: str) -> str:
    """What kind of problem a rule finds: ``missing`` (no report published), ``late``, ``structure``
    (sections or tables off the template), ``numbers`` (figures that do not add up or disagree),
    ``register`` (the report's body cannot be told) or ``content`` (what the text should say)."""
    if rule_id == "REG-MISSING":
        return "missing"
    if rule_id == "REG-LATE":
        return "late"
    if rule_id.startswith(("STR-", "VER-")):
        return "structure"
    if rule_id.startswith(("T2-", "T3-", "T4-", "X-", "N-")):
        return "numbers"
    if rule_id.startswith("REG-"):
        return "register"
    return "content"


REQUIREMENTS = {   # {years}: the years concerned, e.g. 2021、2022
    "missing": "按时公布。请于收到本通知之日起15个工作日内，在本机关政府信息公开专栏公布{years}年度政府信息公开"
               "工作年度报告，书面说明未按时公布的原因；今后按照《中华人民共和国政府信息公开条例》第四十九条、"
               "第五十条规定的时限公布年度报告。",
    "numbers": "核实更正并重新公布。请对照原始台账逐项核实{years}年度报告中上述统计数据，数据有误的予以更正，"
               "更正后在原栏目重新公布，并在报告中注明更正情况；经核实数据无误的，请书面说明。",
    "structure": "按模板补齐。请按照国务院办公厅政府信息公开办公室印发的年度报告格式，补齐{years}年度报告中缺少或"
                 "不符合格式的部分和统计表，更正后重新公布。",
    "late": "按时公布。请书面说明{years}年度报告未在规定时限内公布的原因，今后于每年1月31日前公布上一年度的年度报告。",
    "register": "规范署名。请在{years}年度报告的标题和落款中使用规范的机关全称。",
    "content": "补充完善。请对照上述问题完善{years}年度报告的相关内容，并在今后的年度报告中规范编写。",
}
KIND_ORDER = ("missing", "late", "numbers", "structure", "content", "register")


def requirement(rule_id: str, years: str = "") -> str:
    """The 整改要求 sentence for a problem found by ``rule_id`` in ``years`` (e.g. "2021、2022")."""
    return REQUIREMENTS[problem_kind(rule_id)].format(years=years or "有关")


def requirement_lines(body: data.Body) -> list[Line]:
    """One numbered requirement per kind of problem the body has, naming the years concerned; then when to
    report back."""
    years: dict[str, set[int | None]] = {}
    for _, f in body.open_fails:
        years.setdefault(problem_kind(f.rule_id), set()).add(f.year)
    lines = []
    for n, kind in enumerate((k for k in KIND_ORDER if k in years), 1):
        shown = "、".join(str(y) for y in sorted(y for y in years[kind] if y is not None)) or "有关"
        lines.append(Line(f"{n}. {REQUIREMENTS[kind].format(years=shown)}"))
    lines.append(Line(f"{len(lines) + 1}. 请于收到本通知之日起15个工作日内，将整改情况书面报送我办。"))
    return lines


def problem_lines(body: data.Body, rules: Mapping[str, Rule]) -> list[Line]:
    """The open fails by report: a heading per report (or per year not published), then each problem:
    what the rule asks, what was found, the cells concerned by their printed names."""
    lines: list[Line] = []
    for i, (report, year, findings) in enumerate(_groups(body)):
        lines.append(Line(f"（{_numeral(i)}）{year}年度报告" if year is not None else f"（{_numeral(i)}）年度不详的报告",
                          "h2"))
        if report is None:
            lines.extend(Line(_missing_text(year, f)) for f in findings[:1] if f.rule_id == "REG-MISSING")
            findings = [f for f in findings if f.rule_id != "REG-MISSING"]
        else:
            lines.append(Line(f"你单位公布的{report_title(report)}存在以下问题："))
        for n, f in enumerate(findings, 1):
            lines.extend(_problem(n, body, report, f, rules.get(f.rule_id)))
    return lines


def _groups(body: data.Body) -> list[tuple[data.Report | None, int | None, list[data.Finding]]]:
    groups: list[tuple[data.Report | None, int | None, list[data.Finding]]] = []
    for report, finding in body.open_fails:
        year = finding.year if report is None else report.year
        if not groups or groups[-1][0] is not report or (report is None and groups[-1][1] != year):
            groups.append((report, year, []))
        groups[-1][2].append(finding)
    return groups


def _numeral(i: int) -> str:
    return NUMERALS[i] if i < len(NUMERALS) else str(i + 1)


def report_title(report: data.Report) -> str:
    """《<机关>2021年政府信息公开工作年度报告》（2022年1月27日公布）: the report by the name its body prints
    and the year, with its publication date when the report states one."""
    year = f"{report.year}年" if report.year is not None else ""
    title = f"《{report.body_name or ''}{year}政府信息公开工作年度报告》"
    published = report.published_on
    when = (f"（{published.year}年{published.month}月{published.day}日公布）" if isinstance(published, date)
            else "（报告中未见公布日期）")
    return title + when


_DEADLINE = re.compile(r"公布期限\s*(\d{4})-(\d{1,2})-(\d{1,2})")


def _missing_text(year: int | None, f: data.Finding) -> str:
    due = _DEADLINE.search(f.message or "")
    when = f"（应于{due.group(1)}年{int(due.group(2))}月{int(due.group(3))}日前公布）" if due else ""
    what = f"{year}年度" if year is not None else "该年度"
    return f"本次检查未发现你单位{what}政府信息公开工作年度报告{when}。"


def _problem(n: int, body: data.Body, report: data.Report | None, f: data.Finding, rule: Rule | None) -> list[Line]:
    edition, year = (report.edition, report.year) if report else (None, f.year)
    title = rule.title if rule else "其他问题"
    out = [Line(f"{n}. {title}", "item"), Line(humanize(f.message, edition, year) or "（无说明）")]
    cells = _cells_text(body, report, f)
    if cells:
        out.append(Line(f"涉及数据：{cells}"))
    return out


_WHERE = re.compile(r"第\s*\d+\s*[页行列]")


def _where(locator: str | None) -> str:
    """Where a cell was printed, briefly (第66行; 第3页; else the locator itself)."""
    if not locator:
        return ""
    found = _WHERE.findall(locator)
    return "".join(found) if found else locator[:40]


def _cells_text(body: data.Body, report: data.Report | None, f: data.Finding) -> str:
    edition, year = (report.edition, report.year) if report else (None, f.year)
    cited = [(cid, *body.cell(report, cid)) for cid in f.cell_ids if data.TABLE_CELL.match(cid)]
    shown = cited if len(cited) <= FOLD_CELLS else [c for c in cited if c[1] is None or c[1].value != 0]
    parts = []
    for cell_id, cell, source in shown:
        name = cell_name(cell_id, edition, year)
        if cell is None:
            parts.append(f"{name}（未读到）")
            continue
        where = "，".join(x for x in (_where(cell.locator), source.split(" ")[0] if source else "") if x)
        parts.append(f"{name}：印为“{cell.raw or ''}”" + (f"（{where}）" if where else ""))
    rest = len(cited) - len(shown)
    return "；".join(parts) + (f"；其余{rest}项均为0" if rest else "") if parts or rest else ""


APPENDIX_HEADERS = ("序号", "年度", "规则编号", "检查项", "程度", "复核")
APPENDIX_WIDTHS = (1.4, 1.6, 3.6, 6.0, 1.4, 1.6)    # 15.6 cm: the text width of an A4 page


def appendix(body: data.Body, rules: Mapping[str, Rule]) -> Grid:
    """附件：问题明细表 — each open fail with its rule id (for the office's reference)."""
    rows = []
    for n, (_, f) in enumerate(body.open_fails, 1):
        rule = rules.get(f.rule_id)
        rows.append((str(n), str(f.year) if f.year is not None else "不详", f.rule_id,
                     rule.title if rule else "（规则目录中已无此规则）", SEVERITY.get(f.severity, f.severity),
                     DECISION.get(f.decision or "", "未复核")))
    return Grid(APPENDIX_HEADERS, tuple(rows), APPENDIX_WIDTHS)


# ---------------------------------------------------------------- current drafts and withdrawn ones


def withdraw_stale(out_dir: Path, current: Sequence[Path]) -> list[Path]:
    """Move the drafts in ``out_dir`` that are not ``current`` into ``out_dir/已撤销/``; return every draft
    there (withdrawn now or before; a draft current again is taken back out of it)."""
    keep = {Path(p).name for p in current}
    folder = Path(out_dir) / WITHDRAWN
    for path in Path(out_dir).glob("整改通知_*.docx"):
        if path.name not in keep:
            folder.mkdir(exist_ok=True)
            try:
                os.replace(path, folder / path.name)
            except FileNotFoundError:       # moved meanwhile by another build
                continue
    if not folder.is_dir():
        return []
    for name in keep:
        (folder / name).unlink(missing_ok=True)
    return sorted(folder.glob("整改通知_*.docx"))


def _withdrawn_reason(snap: data.Snapshot, path: Path) -> tuple[str, str]:
    """(the body's name, why its draft was withdrawn), from the draft's file name (…_<slug>.docx)."""
    slug = path.stem.rsplit("_", 1)[-1]
    body = next((b for b in snap.bodies.values() if b.slug == slug), None)
    if body is None:
        return path.stem.split("_")[1] if path.stem.count("_") >= 2 else path.stem, "该机关已不在本次检查结果中"
    waived = [f for r in body.reports for f in r.findings if f.status == "fail" and f.decision == "waived"]
    waived += [f for f in body.gaps if f.status == "fail" and f.decision == "waived"]
    if waived:
        return body.name, "所列问题均已复核豁免，本通知作废，请勿印发"
    return body.name, "该机关已无未整改的错误级问题，本通知作废，请勿印发"


def write_index(snap: data.Snapshot, out_dir: Path, targets: Sequence[tuple[data.Body, Path]],
                withdrawn: Sequence[Path]) -> tuple[Path, Path]:
    """``index.html`` and ``index.csv`` in ``out_dir``: the current drafts (body, county, years, number of
    problems, file), then the withdrawn ones with the reason."""
    out_dir = Path(out_dir)
    rows = [("现行", body.name, snap.county_of(body).name, _years(body), str(len(body.open_fails)), path.name, "")
            for body, path in targets]
    for path in withdrawn:
        name, reason = _withdrawn_reason(snap, path)
        rows.append(("已撤销", name, "", "", "", f"{WITHDRAWN}/{path.name}", reason))
    headers = ("状态", "机关", "所属区县", "年度", "问题数", "文件", "说明")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    csv_path, html_path = out_dir / INDEX_CSV, out_dir / INDEX_HTML
    _write_text(csv_path, "\ufeff" + buffer.getvalue())
    _write_text(html_path, _index_html(snap, headers, rows, len(targets)))
    return html_path, csv_path


def _write_text(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _years(body: data.Body) -> str:
    return "、".join(str(y) for y in sorted({f.year for _, f in body.open_fails if f.year is not None})) or "不详"


def _index_html(snap: data.Snapshot, headers: Sequence[str], rows: Sequence[Sequence[str]], n_current: int) -> str:
    run = esc(snap.run.run_id) if snap.run else "—"
    body = "".join("<tr>" + "".join(f"<td>{_index_cell(i, v)}</td>" for i, v in enumerate(row)) + "</tr>"
                   for row in rows)
    return ('<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'; object-src 'none'\">"
            "<title>整改通知草稿清单</title><style>body{font-family:sans-serif;margin:2em;color:#222}"
            "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.3em .6em;text-align:left}"
            "th{background:#eee}</style></head><body>"
            f"<h1>整改通知草稿清单</h1><p>检查批次 <code>{run}</code>：现行草稿 {n_current} 份。"
            "“已撤销”的草稿所列问题已豁免或已不存在，请勿印发。</p>"
            f"<table><thead><tr>{''.join(f'<th>{esc(h)}</th>' for h in headers)}</tr></thead>"
            f"<tbody>{body}</tbody></table></body></html>\n")


def _index_cell(column: int, value: str) -> str:
    if column == 5 and value:
        return f'<a href="{href(value)}">{esc(value.rsplit("/", 1)[-1])}</a>'
    return esc(value)
