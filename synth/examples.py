"""Write the bundled example reports (``python -m synth.examples examples/``).

The seed report (相城镇 2020, the project's founding example) sits beside these: four reports the project
generates itself, in four formats, one of them with an arithmetic error injected for the demo.
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

from synth.render import ReportSpec, consistent_cells, render_docx, render_html, render_txt


def _cells(edition: str, seed: int, **changes: float) -> dict:
    cells = consistent_cells(edition, random.Random(seed))
    cells.update({k: 0 for k in cells if k.startswith("t2.rules.")})
    cells.update({k.replace("__", "."): v for k, v in changes.items()})
    return cells


def write_examples(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    broken = _cells("2021", 12)
    broken["t3.result_total.natural"] += 2  # injected: 表三 一+二 ≠ （七）+四 in the 自然人 column
    items = {
        "2022_chengguan_zhen.html": render_html(ReportSpec("城关镇人民政府", 2022, "2021", _cells("2021", 11))),
        "2022_donghu_jiedao.txt": render_txt(ReportSpec("东湖街道办事处", 2022, "2021", broken), "spaces"),
        "2022_xinan_xiang.md": render_txt(ReportSpec("新安乡人民政府", 2022, "2021", _cells("2021", 13)), "markdown"),
        "2022_jiaoyu_ju.docx": render_docx(ReportSpec("某县教育局", 2022, "2021", _cells("2021", 14))),
    }
    written = []
    for name, content in items.items():
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_examples(Path(sys.argv[1] if len(sys.argv) > 1 else "examples")):
        print(path)
