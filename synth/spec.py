"""What a synthetic report says: the spec (body, year, edition, numbers, prose) and its printed text.

Nothing here knows about file formats; ``synth.render`` turns the same blocks into txt, html or docx.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from rules import layout

Number = Union[int, float]


@dataclass(frozen=True)
class ReportSpec:
    """A report to render. A cell id absent from ``cells`` is printed as an empty (blank) cell.

    ``sections`` maps section number 1…6 to its prose (paragraphs separated by newlines); a section
    not given gets short default prose (see ``section_texts``). ``preface_text``, when given, replaces
    the default opening paragraphs (see ``preface``).
    """

    body: str
    year: int
    edition: str
    cells: dict[str, Number] = field(default_factory=dict)
    sections: dict[int, str] | None = None
    preface_text: tuple[str, ...] | None = None


def format_value(value: Number | None) -> str:
    """A cell value as printed: integers plainly, floats with at least one decimal (``12.0``, ``8.25``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("a cell value must be a number, not a bool")
    if isinstance(value, int):
        return str(value)
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = f"{value:.6f}".rstrip("0")
        text = text + "0" if text.endswith(".") else text
    return text


def title(spec: ReportSpec) -> str:
    """The report title, e.g. 相城镇人民政府2020年政府信息公开工作年度报告."""
    return f"{spec.body}{spec.year}年政府信息公开工作年度报告"


def preface(spec: ReportSpec) -> list[str]:
    """The opening paragraphs: legal basis, 统计期限, electronic copy and contact details
    (the spec's own ``preface_text`` when given)."""
    if spec.preface_text is not None:
        return list(spec.preface_text)
    notice = layout.edition(spec.edition).notice
    return [
        f"本报告依据《中华人民共和国政府信息公开条例》（以下简称《条例》）和{notice}文件要求，"
        f"由{spec.body}结合有关统计数据编制。全文包括总体情况、主动公开政府信息情况、"
        "收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况、"
        "存在的主要问题及改进情况、其他需要报告的事项。",
        f"本年度报告中所列数据的统计期限自{spec.year}年1月1日起至{spec.year}年12月31日止。"
        f"本年度报告的电子版可以在{spec.body}门户网站下载。",
        f"如对本报告有任何疑问，请与{spec.body}办公室联系（地址：人民路1号，邮编：330800，"
        "电话：0795-5492101，电子邮箱：xxgk@example.gov.cn）。",
    ]


def heading(number: int) -> str:
    """The printed heading of section ``number`` (1…6), e.g. 一、总体情况."""
    section = layout.sections()[number - 1]
    return f"{section.numeral}、{section.label.text}"


def section_texts(spec: ReportSpec) -> dict[int, str]:
    """The prose of all six sections: the spec's own text where given, else the default."""
    given = spec.sections or {}
    return {n: given.get(n, _DEFAULTS[n](spec)) for n in range(1, 7)}


def _count(spec: ReportSpec, cell_id: str) -> str:
    value = spec.cells.get(cell_id)
    return format_value(value) if value is not None else "若干"


def _overview(spec: ReportSpec) -> str:
    return "\n".join([
        f"{spec.year}年，{spec.body}深入贯彻落实《条例》，坚持以公开为常态、不公开为例外，"
        "不断提升政府信息公开工作质量。",
        "（一）主动公开。依托门户网站、政务新媒体和公开栏及时发布机构职能、政策文件、财政预决算等信息，"
        "做好重要政策解读和回应关切工作。",
        f"（二）依申请公开。本年度共收到政府信息公开申请{_count(spec, 't3.new.total')}件，"
        "均在法定期限内予以答复，进一步规范了受理、登记、审核和答复流程。",
        "（三）政府信息管理。严格落实公开属性源头认定和保密审查机制，坚持先审查、后公开，"
        "动态调整主动公开基本目录。",
        "（四）平台建设。加强政府网站政府信息公开专栏建设，优化栏目设置，提升信息检索和查阅的便利度。",
        "（五）监督保障。将政务公开工作纳入年度工作考核，主动接受社会评议，"
        "对工作不力的严格开展责任追究，全年未发生责任追究情况。",
    ])


def _proactive(spec: ReportSpec) -> str:
    return "本年度主动公开政府信息情况如下："


def _applications(spec: ReportSpec) -> str:
    return "本年度收到和处理政府信息公开申请情况如下："


def _litigation(spec: ReportSpec) -> str:
    return "本年度政府信息公开复议和诉讼情况如下："


def _problems(spec: ReportSpec) -> str:
    return "\n".join([
        "本年度政府信息公开工作还存在一些问题：一是政策解读形式较为单一，通俗易懂的解读产品偏少；"
        "二是信息发布的及时性有待提高，个别栏目更新不够及时。",
        "改进措施：下一步，我们将丰富政策解读形式，加强图解、视频等解读；"
        "健全信息发布审核机制，定期开展栏目巡查，确保信息及时更新。",
    ])


def _other(spec: ReportSpec) -> str:
    if spec.edition == "2021":
        return (f"{spec.year}年，本机关严格执行《政府信息公开信息处理费管理办法》，"
                "未收取政府信息公开信息处理费。")
    return "本年度无其他需要报告的事项。"


_DEFAULTS = {1: _overview, 2: _proactive, 3: _applications, 4: _litigation, 5: _problems, 6: _other}
