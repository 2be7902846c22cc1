"""整改通知 drafts: one Word file per non-compliant body of the latest run, from an editable template.

The template is an ordinary .docx the office edits in Word. Placeholders ``{{名称}}`` anywhere in a paragraph
(body, tables, headers, footers; even when Word split them over several runs) are replaced and the rest of
the paragraph is kept. The paragraph holding ``{{问题清单}}`` becomes the list of failed rules (its paragraph
and character formatting are copied). Placeholders:

    {{机关名称}} {{机关编码}} {{所属区县}} {{年度}} {{问题数}} {{问题清单}} {{日期}} {{运行编号}}
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from copy import deepcopy
from datetime import date
from importlib import resources
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from portal import data
from portal.markup import SEVERITY
from portal.names import file_label
from rules.catalogue import Rule, catalogue

PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
BLOCK = "问题清单"
NUMERALS = "一二三四五六七八九十"
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
Line = tuple[str, bool]                  # (text, bold)


# ---------------------------------------------------------------- public API


def write_notices(db_path: Path, out_dir: Path, template: Path | None = None, *,
                  today: date | None = None) -> list[Path]:
    """Write one 整改通知 draft per body with an open error-level fail in the latest completed run into
    ``out_dir``; return the paths (sorted by body name). ``template`` defaults to the shipped
    ``portal/templates/notice_template.docx``."""
    return write_notices_for(data.load(Path(db_path)), out_dir, template, today=today)


def write_notices_for(snap: data.Snapshot, out_dir: Path, template: Path | None = None, *,
                      today: date | None = None) -> list[Path]:
    """``write_notices`` from an already loaded snapshot."""
    rules = catalogue()
    out_dir = Path(out_dir)
    paths = []
    for body in sorted((b for b in snap.bodies.values() if b.non_compliant), key=lambda b: (b.name, b.key)):
        doc = _open(template)
        fill(doc, notice_values(snap, body, today or date.today()), problem_lines(body, rules))
        out_dir.mkdir(parents=True, exist_ok=True)
        path = notice_path(out_dir, body)
        doc.save(str(path))
        paths.append(path)
    return paths


def notice_path(out_dir: Path, body: data.Body) -> Path:
    """Where ``body``'s draft is written in ``out_dir`` (a readable name and the body's unique page slug)."""
    return Path(out_dir) / f"整改通知_{file_label(body.name) or '机关'}_{body.slug}.docx"


def default_template() -> Path:
    """The shipped template (``portal/templates/notice_template.docx``)."""
    return Path(str(resources.files("portal").joinpath("templates/notice_template.docx")))


def make_template(path: Path) -> Path:
    """Create the default template with python-docx (how the shipped file was made)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _template_document().save(str(path))
    return path


def _template_document() -> DocumentType:
    doc = Document()
    _base_font(doc)
    _para(doc, "关于{{机关名称}}{{年度}}年度政府信息公开工作年度报告问题的整改通知", size=22, bold=True, center=True)
    _para(doc, "")
    _para(doc, "{{机关名称}}：")
    _para(doc, "经对你单位{{年度}}年度政府信息公开工作年度报告进行检查（检查批次：{{运行编号}}），发现以下 {{问题数}} "
               "项问题，现将有关情况通知如下：", indent=True)
    _para(doc, "{{问题清单}}", indent=True)
    _para(doc, "请你单位对照上述问题逐项核实整改，于收到本通知之日起 15 个工作日内在政府信息公开专栏重新发布更正后的"
               "年度报告，并将整改情况书面报送我办。对检查结果有异议的，请在上述期限内提出并附相关说明。", indent=True)
    _para(doc, "")
    _para(doc, "联系人：            联系电话：", indent=True)
    _para(doc, "")
    _para(doc, "××市人民政府办公室（政务公开办）", right=True)
    _para(doc, "{{日期}}", right=True)
    return doc


# ---------------------------------------------------------------- content


def notice_values(snap: data.Snapshot, body: data.Body, today: date) -> dict[str, str]:
    """The inline placeholders of one notice."""
    fails = body.open_fails
    years = sorted({f.year for _, f in fails if f.year is not None})
    return {"机关名称": body.name, "机关编码": body.body_id or "（未登记）", "所属区县": snap.county_of(body).name,
            "年度": "、".join(str(y) for y in years) or "（年度不详）", "问题数": str(len(fails)),
            "日期": f"{today.year}年{today.month}月{today.day}日",
            "运行编号": snap.run.run_id if snap.run else ""}


def problem_lines(body: data.Body, rules: Mapping[str, Rule]) -> list[Line]:
    """The list of open fails, by report: rule id and title, basis, message, cells and numbers, 整改要求."""
    groups: list[tuple[data.Report | None, int | None, list[data.Finding]]] = []
    for report, finding in body.open_fails:
        if not groups or groups[-1][0] is not report or (report is None and groups[-1][1] != finding.year):
            groups.append((report, finding.year if report is None else report.year, []))
        groups[-1][2].append(finding)
    lines: list[Line] = []
    for i, (report, year, findings) in enumerate(groups):
        lines.append((f"（{NUMERALS[i] if i < len(NUMERALS) else i + 1}）{_group_head(report, year)}", True))
        for n, finding in enumerate(findings, 1):
            lines.extend(_finding_lines(n, body, report, finding, rules.get(finding.rule_id)))
    return lines


def _group_head(report: data.Report | None, year: int | None) -> str:
    when = f"{year}年度" if year is not None else "年度不详的"
    if report is None:
        return f"{when}报告（未发现已公布的报告）"
    return f"{when}报告（文件：{report.source_path or '—'}）"


def _finding_lines(n: int, body: data.Body, report: data.Report | None, f: data.Finding,
                   rule: Rule | None) -> list[Line]:
    title = rule.title if rule else "（规则目录中已无此规则）"
    out: list[Line] = [(f"{n}. {f.rule_id} {title}（{SEVERITY.get(f.severity, f.severity)}）", True),
                       (f"依据：{rule.basis if rule else '—'}", False), (f"问题：{f.message or '—'}", False)]
    cells = _cells_text(body, report, f)
    if cells:
        out.append((f"涉及数据：{cells}", False))
    if f.expected and f.observed:
        out.append((f"应为 {_nums(f.expected)}，实为 {_nums(f.observed)}。", False))
    out.append((f"整改要求：{requirement(f.rule_id, f.severity)}", False))
    return out


def _nums(values: tuple[float, ...]) -> str:
    return "、".join(str(int(v)) if float(v).is_integer() else f"{v:g}" for v in values) or "—"


def _cells_text(body: data.Body, report: data.Report | None, f: data.Finding) -> str:
    parts = []
    for cell_id in f.cell_ids:
        cell, source = body.cell(report, cell_id)
        if not data.TABLE_CELL.match(cell_id):
            continue  # a derived score (e.g. similarity): the message states it
        if cell is None:
            parts.append(f"{cell_id}（{source or '未读到'}）")
        else:
            where = "，".join(x for x in (source, cell.locator or "位置不详") if x)
            parts.append(f"{cell_id}（{where}，原文“{cell.raw or ''}”）")
    return "；".join(parts)


def requirement(rule_id: str, severity: str) -> str:
    """A short 整改要求 sentence for a failed rule."""
    if rule_id == "REG-MISSING":
        return "请立即在政府信息公开专栏公布该年度的政府信息公开工作年度报告，并说明逾期原因。"
    if rule_id.startswith(("STR-", "VER-")):
        return "请按国务院办公厅规定的年报格式补齐或更正相应部分和统计表，重新发布年度报告。"
    if rule_id.startswith(("T2-", "T3-", "T4-")) and severity == "error":
        return "请逐项核对上述单元格的数据，使统计表数据准确、前后一致，更正后重新发布年度报告并说明更正情况。"
    return "请核实上述情况，按要求补充完善相关内容，并在更正或今后的年度报告中予以规范。"


# ---------------------------------------------------------------- filling a template


def fill(doc: DocumentType, values: Mapping[str, str], block: list[Line]) -> None:
    """Replace the placeholders of every paragraph of ``doc``; expand ``{{问题清单}}`` into ``block``."""
    clean = {k: _xml_text(v) for k, v in values.items()}
    for para in list(_paragraphs(doc)):
        if any(m.group(1) == BLOCK for m in PLACEHOLDER.finditer(para.text)):
            _expand(para, [(_xml_text(t), bold) for t, bold in block])
        replace_in_paragraph(para, clean)


def replace_in_paragraph(para: Paragraph, values: Mapping[str, str]) -> None:
    """Replace known placeholders in ``para``, also across runs; the first run of each keeps its format."""
    runs = para.runs
    bounds, pos = [], 0
    for run in runs:
        bounds.append((pos, pos + len(run.text)))
        pos += len(run.text)
    text = "".join(run.text for run in runs)
    for match in reversed([m for m in PLACEHOLDER.finditer(text) if m.group(1) in values]):
        start, end = match.span()
        i = next(k for k, (a, b) in enumerate(bounds) if a <= start < b)
        j = next(k for k, (a, b) in enumerate(bounds) if a < end <= b)
        value = values[match.group(1)]
        if i == j:
            t = runs[i].text
            runs[i].text = t[:start - bounds[i][0]] + value + t[end - bounds[i][0]:]
            continue
        runs[i].text = runs[i].text[:start - bounds[i][0]] + value
        for k in range(i + 1, j):
            runs[k].text = ""
        runs[j].text = runs[j].text[end - bounds[j][0]:]


def _expand(para: Paragraph, lines: list[Line]) -> None:
    anchor = para._p
    run_format = para.runs[0]._r.rPr if para.runs else None
    for text, bold in lines:
        new = OxmlElement("w:p")
        if para._p.pPr is not None:
            new.append(deepcopy(para._p.pPr))
        anchor.addnext(new)
        run = Paragraph(new, para._parent).add_run(text)
        if run_format is not None:
            run._r.insert(0, deepcopy(run_format))
        run.bold = bold
        anchor = new
    replace_in_paragraph(para, {BLOCK: ""})
    if not para.text.strip():
        para._p.getparent().remove(para._p)


def _paragraphs(doc: DocumentType) -> Iterator[Paragraph]:
    yield from _container(doc)
    for section in doc.sections:
        for part in (section.header, section.footer, section.first_page_header, section.first_page_footer,
                     section.even_page_header, section.even_page_footer):
            if not part.is_linked_to_previous:
                yield from _container(part)


def _container(container) -> Iterator[Paragraph]:  # noqa: ANN001 - Document, _Cell, header or footer
    yield from container.paragraphs
    for table in container.tables:
        yield from _table(table)


def _table(table: Table) -> Iterator[Paragraph]:
    for row in table.rows:
        for cell in row.cells:
            yield from _container(cell)


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", str(text))


def _open(template: Path | None) -> DocumentType:
    path = Path(template) if template else default_template()
    if path.is_file():
        return Document(str(path))
    if template:
        raise FileNotFoundError(f"整改通知模板不存在：{path}")
    return _template_document()  # the shipped file is missing: the same template, built in memory


# ---------------------------------------------------------------- template styling


def _base_font(doc: DocumentType) -> None:
    style = doc.styles["Normal"]
    style.font.name = "FangSong"
    style.font.size = Pt(16)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋")


def _para(doc: DocumentType, text: str, size: int | None = None, bold: bool = False, center: bool = False,
          right: bool = False, indent: bool = False) -> Paragraph:
    para = doc.add_paragraph()
    run = para.add_run(text)
    run.bold = bold or None
    if size:
        run.font.size = Pt(size)
    if center:
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif right:
        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if indent:
        para.paragraph_format.first_line_indent = Pt(32)
    return para
