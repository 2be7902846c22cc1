"""Clean synthetic reports (they parse ``ok``) and the specs the hostile reports start from."""
from __future__ import annotations

import random
from pathlib import Path

from hostile.base import Sample, write
from synth.render import ReportSpec, consistent_cells, default_template, render_docx, render_html, render_txt

_FIRST = "青白东南西北桃云梅柳石金凤龙新平"
_SECOND = "石沙林湖岭塘源溪山河门泉港安城川"


def body_name(index: int) -> str:
    """A distinct township or street name for every ``index`` < 256 (Chinese characters only, as titles print)."""
    first, second = _FIRST[index % 16], _SECOND[(index // 16 + index) % 16]
    return first + second + ("街道办事处" if index % 5 == 3 else "镇人民政府")


def good_spec(seed: int, body: str | None = None, year: int = 2022, edition: str = "2021",
              sections: dict[int, str] | None = None) -> ReportSpec:
    """A consistent report; its own sections 一 and 五 (so that peers do not look copied)."""
    body = body or body_name(seed)
    cells = consistent_cells(edition, random.Random(seed))
    cells.update({k: 0 for k in cells if k.startswith("t2.rules.")})  # a township makes no 规章
    own = {1: f"{body}坚持把政务公开作为重要抓手（第{seed}号），主动公开、依申请公开、政府信息管理、平台建设和监督保障"
              "各项工作稳步推进。",
           5: f"存在的问题是公开内容不够细（第{seed}号）。改进措施：加强培训，提升公开质量。"}
    own.update(sections or {})
    return ReportSpec(body, year, edition, cells, own)


def render(spec: ReportSpec, fmt: str) -> bytes:
    if fmt == "txt":
        return render_txt(spec).encode("utf-8")
    if fmt == "md":
        return render_txt(spec, "markdown").encode("utf-8")
    if fmt == "html":
        return render_html(spec).encode("utf-8")
    if fmt == "docx":  # a filled copy of the official 2021 template when the shared corpus has it (10× faster)
        return render_docx(spec, default_template())
    raise ValueError(fmt)


def write_good(folder: Path, n: int = 4) -> list[Sample]:
    """``n`` clean reports (txt, html, docx, md in turn), bodies and numbers all different."""
    formats = ("txt", "html", "docx", "md")
    out = []
    for i in range(n):
        fmt = formats[i % len(formats)]
        spec = good_spec(100 + i, body_name(i))
        out.append(Sample(write(folder / f"good_{i}.{fmt}", render(spec, fmt)), f"good-{fmt}", ("ok",), bad=False))
    return out
