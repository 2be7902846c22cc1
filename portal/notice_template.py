"""The shipped 整改通知 template, built with python-docx the way ``portal/templates/notice_template.docx`` was
made (``make_template``): a letter laid out as GB/T 9704-2012 asks of an official document.

- A4 paper; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm (版心 156 mm × 225 mm).
- Body text 仿宋_GB2312 三号 (16 pt), fixed 28.95 pt lines (22 lines a page); 一、 headings 黑体, （一）
  headings 楷体_GB2312, the title 方正小标宋简体 二号 (22 pt), page numbers “— 1 —” in 宋体 四号.
- Each Chinese font is named as East-Asian font (``w:eastAsia``, what Word, WPS and LibreOffice use for
  Chinese text), Latin letters and digits in Times New Roman; the font table gives each its usual
  substitute (``w:altName``: 仿宋, 黑体, 楷体, 宋体) for machines without the GB2312 fonts.
"""
from __future__ import annotations

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph

BODY_FONT, HEADING_FONT, SUBHEADING_FONT, TITLE_FONT, NUMBER_FONT = (
    "仿宋_GB2312", "黑体", "楷体_GB2312", "方正小标宋简体", "宋体")
LATIN_FONT = "Times New Roman"
SUBSTITUTES = {BODY_FONT: "仿宋", SUBHEADING_FONT: "楷体", TITLE_FONT: "宋体", HEADING_FONT: "SimHei",
               NUMBER_FONT: "SimSun"}
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
LINE_PT = 28.95                     # 225 mm / 22 lines
BODY_PT, TITLE_PT, TABLE_PT = 16, 22, 12
INDENT = Pt(2 * BODY_PT)            # 首行缩进两字


def template_document() -> DocumentType:
    """The default template (see the module docstring for its layout)."""
    doc = Document()
    _page(doc)
    _styles(doc)
    _font_table(doc)
    _footer_page_number(doc)
    _content(doc)
    return doc


def _content(doc: DocumentType) -> None:
    _para(doc, "关于{{机关名称}}{{年度}}年度政府信息公开工作年度报告有关问题的整改通知", "通知标题")
    _para(doc, "")
    _para(doc, "{{机关名称}}：", indent=False)
    _para(doc, "我办对你单位{{年度}}年度政府信息公开工作年度报告的公布情况和内容进行了检查，发现{{问题数}}项问题。"
               "现将有关情况通知如下。")
    _para(doc, "一、存在的问题", "通知一级标题")
    _para(doc, "{{问题清单}}")
    _para(doc, "二、整改要求", "通知一级标题")
    _para(doc, "{{整改要求}}")
    _para(doc, "对检查结果有异议的，请于收到本通知之日起15个工作日内向我办书面提出，并附相关说明和依据。")
    _para(doc, "联系人：            联系电话：")
    _para(doc, "")
    _para(doc, "附件：问题明细表")
    _para(doc, "")
    _para(doc, "××市人民政府办公室（政务公开办）", "通知落款")
    _para(doc, "{{日期}}", "通知落款")
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _para(doc, "附件", "通知一级标题", indent=False)
    _para(doc, "问题明细表", "通知标题")
    _para(doc, "{{附件表}}", indent=False)
    _para(doc, "检查批次：{{运行编号}}。规则编号与本办检查系统的规则目录一致，供核对使用。", "通知表格", indent=False)


def _page(doc: DocumentType) -> None:
    for section in doc.sections:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
        section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
        section.header_distance, section.footer_distance = Mm(15), Mm(20)


def set_fonts(element, east_asian: str, latin: str = LATIN_FONT) -> None:  # noqa: ANN001 - a style or run rPr owner
    """Name ``east_asian`` for Chinese text and ``latin`` for the rest; theme fonts, which would win over
    the names, are removed."""
    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asian)


def _styles(doc: DocumentType) -> None:
    _defaults(doc)
    normal = doc.styles["Normal"]
    _style_font(normal, BODY_FONT, BODY_PT)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(LINE_PT)
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.first_line_indent = INDENT
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    _new_style(doc, "通知标题", TITLE_FONT, TITLE_PT, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, line=36)
    _new_style(doc, "通知一级标题", HEADING_FONT, BODY_PT, keep=True)
    _new_style(doc, "通知二级标题", SUBHEADING_FONT, BODY_PT, keep=True)
    _new_style(doc, "通知三级标题", BODY_FONT, BODY_PT, bold=True, keep=True)
    _new_style(doc, "通知落款", BODY_FONT, BODY_PT, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT, right=4)
    table = _new_style(doc, "通知表格", BODY_FONT, TABLE_PT, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT)
    table.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE


def _defaults(doc: DocumentType) -> None:
    """Document defaults: East-Asian text is Chinese (zh-CN), in the body font."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr, name in (("w:ascii", LATIN_FONT), ("w:hAnsi", LATIN_FONT), ("w:cs", LATIN_FONT),
                       ("w:eastAsia", BODY_FONT)):
        fonts.set(qn(attr), name)
    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        r_pr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _style_font(style: ParagraphStyle, east_asian: str, size: float, bold: bool = False) -> None:
    style.font.size = Pt(size)
    style.font.bold = bold
    set_fonts(style.element, east_asian)


def _new_style(doc: DocumentType, name: str, font: str, size: float, *, bold: bool = False, indent: bool = True,
               align: int | None = None, keep: bool = False, line: float | None = None,
               right: int = 0) -> ParagraphStyle:
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    _style_font(style, font, size, bold)
    fmt = style.paragraph_format
    fmt.first_line_indent = INDENT if indent else Pt(0)
    if align is not None:
        fmt.alignment = align
    if keep:
        fmt.keep_with_next = True
    if line:
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(line)
    if right:
        fmt.right_indent = Pt(right * BODY_PT)
    return style


def _font_table(doc: DocumentType) -> None:
    """Declare the Chinese fonts with their substitutes (``w:altName``) and the GB2312 character set."""
    part = next(p for p in doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    xml = part.blob.decode("utf-8")
    entries = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
        f'<w:family w:val="{"roman" if name in (TITLE_FONT, NUMBER_FONT) else "modern"}"/>'
        f'<w:pitch w:val="fixed"/></w:font>'
        for name, alt in SUBSTITUTES.items() if f'w:name="{name}"' not in xml)
    part._blob = xml.replace("</w:fonts>", entries + "</w:fonts>").encode("utf-8")


def _footer_page_number(doc: DocumentType) -> None:
    """“— 1 —” centred at the foot of each page (宋体 四号)."""
    footer = doc.sections[0].footer
    para = footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para.paragraph_format.first_line_indent = Pt(0)
    _number_run(para, "— ")
    begin, code, end = OxmlElement("w:fldChar"), OxmlElement("w:instrText"), OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    code.set(qn("xml:space"), "preserve")
    code.text = " PAGE "
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, code, end):
        _number_run(para, "")._r.append(element)
    _number_run(para, " —")


def _number_run(para: Paragraph, text: str):  # noqa: ANN202 - a docx Run
    run = para.add_run(text)
    run.font.size = Pt(14)
    set_fonts(run._r, NUMBER_FONT, NUMBER_FONT)
    return run


def _para(doc: DocumentType, text: str, style: str | None = None, indent: bool = True) -> Paragraph:
    para = doc.add_paragraph(text, style=style)
    if not indent:
        para.paragraph_format.first_line_indent = Pt(0)
    return para
