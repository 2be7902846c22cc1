"""A synthetic city: a register of bodies and their annual reports over several years, with labelled defects.

    manifest = generate_city(Path("out/city"), bodies=60, years=range(2019, 2025), formats=["txt", "html"],
                             defect_rate=0.1, seed=7)

writes ``register.csv`` (body_id,name,kind,parent_id,aliases), ``reports/<year>/<body_id>.<ext>`` (one per
body and year, in the edition of the year), ``labels.jsonl`` (one JSON object per injected defect:
file, body_id, year, rule_id, detail — and ``source`` for the DUP-* kinds) and ``manifest.json``.

Every clean report is consistent in itself (tables 2–4), with the prose (section 一 states
t3.new.total and the table-4 totals), and with the same body's previous year (X-CARRY, X-IN-FORCE,
2019-edition prev_items). A defective report breaks exactly one rule (its label's ``rule_id``).
Everything is a function of the arguments: the same call writes byte-identical files.

``python -m synth.city OUT --bodies 60 --years 2019-2024 --formats txt,html --defect-rate 0.1 --seed 7``
"""
from __future__ import annotations

import argparse
import csv
import html
import io
import json
import random
import re
import shutil
import sys
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate
from pathlib import Path

from rules import layout
from rules.arithmetic import APPLICANT_COLUMNS, outcome_rows
from synth.document import Para, blocks
from synth.names import CityBody, build_bodies
from synth.render import render_html, render_txt
from synth.spec import Number, ReportSpec, format_value, heading
from synth.word import build_docx

FORMATS = {"txt": ".txt", "md": ".md", "html": ".html", "docx": ".docx"}
# Defects that break one rule inside one report, and those that only show against other reports
# (the previous year, a peer, the register) or between prose and tables.
SINGLE_KINDS = ("T3-BALANCE", "T3-RESULT-SUM", "T3-ROW-TOTAL", "T4-SUMS", "T2-RULES-ZERO", "VER-EDITION",
                "STR-SECTIONS", "PRE-CONTACT", "S6-FEE", "REG-LATE")
CROSS_KINDS = ("X-CARRY", "X-IN-FORCE", "N-APPLICATIONS", "N-LITIGATION", "DUP-PREVIOUS", "DUP-PEER",
               "REG-MISSING")
DEFECT_KINDS = SINGLE_KINDS + CROSS_KINDS
# A report whose prose is not its own (or not all there) is never the source of a copy.
_PROSE_KINDS = {"N-APPLICATIONS", "N-LITIGATION", "DUP-PREVIOUS", "DUP-PEER", "STR-SECTIONS", "REG-MISSING"}
NO_RULES = ("township", "street", "county_gov", "department", "zone")   # no 规章制定权
PEOPLES_GOVERNMENTS = ("township", "county_gov", "city_gov")
DEADLINE = {"department": 1}   # publication month limit (1 = by 31 January); others by 31 March


# ---------------------------------------------------------------- results


@dataclass
class ReportRecord:
    """One report of the city as generated: what was printed (cells, prose) and whether it is defective."""

    body_id: str
    body: str
    kind: str
    year: int
    edition: str                     # the edition printed (≠ the year's edition only for VER-EDITION)
    file: str                        # path relative to the output folder
    style: str                       # txt-tabs, txt-spaces, md, html, docx
    written: bool
    cells: dict[str, Number]
    sections: dict[int, str]
    preface: tuple[str, ...]
    headings: dict[int, str | None]  # printed section headings that differ from the canonical ones
    stated: dict[str, int]           # numbers the prose of section 一 states (applications, reviews, suits)
    defect: str | None = None
    detail: str = ""
    source: str | None = None        # DUP-*: the report the prose was copied from
    choice: ProseChoice | None = field(default=None, repr=False, compare=False)

    @property
    def clean(self) -> bool:
        return self.defect is None


@dataclass
class CityManifest:
    """What ``generate_city`` wrote: the arguments, counts, the register and every report (with the
    printed cells and prose), and the labels of the injected defects (as in ``labels.jsonl``)."""

    out: Path
    seed: int
    bodies: int
    years: list[int]
    formats: list[str]
    defect_rate: float
    counts: dict
    register: list[CityBody]
    reports: list[ReportRecord]
    labels: list[dict]
    _index: dict = field(default_factory=dict, repr=False)

    def report(self, body_id: str, year: int) -> ReportRecord | None:
        if not self._index:
            self._index.update({(r.body_id, r.year): r for r in self.reports})
        return self._index.get((body_id, year))

    def to_json(self) -> dict:
        return {"seed": self.seed, "bodies": self.bodies, "years": self.years, "formats": self.formats,
                "defect_rate": self.defect_rate, "counts": self.counts}


# ---------------------------------------------------------------- numbers


COL_WEIGHTS = (80, 8, 1, 1, 6, 4)
OUTCOME_WEIGHTS = {
    "granted": 30, "partial": 8, "denied_1": 0.3, "denied_2": 0.3, "denied_3": 0.5, "denied_4": 1.0,
    "denied_5": 1.0, "denied_6": 1.5, "denied_7": 0.5, "denied_8": 1.0, "unavailable_1": 25,
    "unavailable_2": 3, "unavailable_3": 2, "not_handled_1": 3, "not_handled_2": 3, "not_handled_3": 0.5,
    "not_handled_4": 0.5, "not_handled_5": 0.5, "other": 9, "other_1": 4, "other_2": 0.8, "other_3": 4,
}
T4_PARTS = ("upheld", "corrected", "other", "pending")
# per kind: applications per year (lo, hi), chance of none; table-4 cases (hi); table-2 ranges
SCALE = {
    "city_gov": {"apps": (60, 420), "none": 0.0, "t4": 8, "normative": (4, 20), "in_force": (120, 300),
                 "licensing": (0.3, 50, 900), "penalty": (0.5, 1, 60), "enforcement": (0.7, 1, 20),
                 "fees": (0.6, 1, 80), "items": (20, 120), "procurement": (10, 80), "pub": (2000, 9000)},
    "county_gov": {"apps": (8, 120), "none": 0.05, "t4": 3, "normative": (2, 15), "in_force": (40, 160),
                   "licensing": (0.2, 100, 3000), "penalty": (0.4, 1, 200), "enforcement": (0.5, 1, 40),
                   "fees": (0.5, 1, 120), "items": (30, 200), "procurement": (5, 60), "pub": (800, 5000)},
    "department": {"apps": (0, 30), "none": 0.35, "t4": 2, "normative": (0, 5), "in_force": (2, 40),
                   "licensing": (0.4, 10, 8000), "penalty": (0.4, 1, 1500), "enforcement": (0.6, 1, 200),
                   "fees": (0.5, 0.5, 1500), "items": (0, 120), "procurement": (0, 30), "pub": (60, 900)},
    "township": {"apps": (0, 6), "none": 0.45, "t4": 1, "normative": (0, 2), "in_force": (0, 12),
                 "licensing": (0.5, 1, 300), "penalty": (0.6, 1, 40), "enforcement": (0.8, 1, 10),
                 "fees": (0.8, 0.1, 20), "items": (0, 40), "procurement": (0, 12), "pub": (40, 500)},
    "street": {"apps": (0, 6), "none": 0.5, "t4": 1, "normative": (0, 1), "in_force": (0, 6),
               "licensing": (0.6, 1, 120), "penalty": (0.7, 1, 30), "enforcement": (0.85, 1, 8),
               "fees": (0.9, 0.1, 10), "items": (0, 20), "procurement": (0, 8), "pub": (30, 400)},
    "zone": {"apps": (0, 15), "none": 0.3, "t4": 1, "normative": (0, 4), "in_force": (3, 30),
             "licensing": (0.3, 10, 900), "penalty": (0.6, 1, 50), "enforcement": (0.8, 1, 10),
             "fees": (0.6, 1, 200), "items": (5, 60), "procurement": (2, 30), "pub": (50, 700)},
}
ITEM_ROWS = ("licensing", "other_services", "penalty", "enforcement", "fees")


def _multinomial(n: int, keys: list[str], weights: list[float], rng: random.Random) -> dict[str, int]:
    out = dict.fromkeys(keys, 0)
    if n > 0:
        for key in rng.choices(keys, cum_weights=list(accumulate(weights)), k=n):
            out[key] += 1
    return out


@dataclass
class BodyState:
    """What one year hands to the next for one body (as printed, or as it would have been printed)."""

    carried_out: dict[str, int]
    in_force: dict[str, int]          # 2021 edition 现行有效件数 per row
    items: dict[str, int]             # 2019 edition 上一年项目数量 of next year, per row
    published: dict[str, int]         # 2019 edition 对外公开总数量 per row


def initial_state(body: CityBody, rng: random.Random) -> BodyState:
    scale = SCALE[body.kind]
    carried = {col: 0 for col in APPLICANT_COLUMNS}
    if scale["apps"][1] >= 10 and rng.random() < 0.5:
        carried["natural"] = rng.randint(0, scale["apps"][1] // 15)
    carried["total"] = sum(carried.values())
    rules = body.kind == "city_gov"
    return BodyState(
        carried_out=carried,
        in_force={"rules": rng.randint(30, 90) if rules else 0, "normative": rng.randint(*scale["in_force"])},
        items={row: rng.randint(*scale["items"]) if row != "fees" else rng.randint(0, 15) for row in ITEM_ROWS},
        published={"rules": rng.randint(20, 60) if rules else 0, "normative": rng.randint(*scale["in_force"])},
    )


def _metric(spec: tuple[float, float, float], rng: random.Random, money: bool = False) -> Number:
    zero, lo, hi = spec
    if rng.random() < zero:
        return 0
    return round(rng.uniform(lo, hi), rng.choice((1, 2))) if money else rng.randint(int(lo), int(hi))


def table2_2021(body: CityBody, rng: random.Random, state: BodyState) -> tuple[dict[str, Number], dict[str, int]]:
    """表二 (2021): 现行有效(N) = 现行有效(N−1) + 制发(N) − 废止(N); 规章 only for the city government."""
    scale = SCALE[body.kind]
    cells: dict[str, Number] = {}
    in_force = dict(state.in_force)
    for row in ("rules", "normative"):
        prev = state.in_force[row]
        if row == "rules" and body.kind in NO_RULES:
            issued = repealed = 0
        else:
            issued = rng.randint(0, 4) if row == "rules" else rng.randint(*scale["normative"])
            repealed = rng.randint(0, min(prev + issued, max(1, issued // 2 + (1 if prev > 10 else 0))))
            if rng.random() < 0.5:
                repealed = 0
        in_force[row] = prev + issued - repealed
        cells.update({f"t2.{row}.issued": issued, f"t2.{row}.repealed": repealed, f"t2.{row}.in_force": in_force[row]})
    for row in ("licensing", "penalty", "enforcement"):
        cells[f"t2.{row}.decisions"] = _metric(scale[row], rng)
    cells["t2.fees.amount"] = _metric(scale["fees"], rng, money=True)
    return cells, in_force


def table2_2019(body: CityBody, rng: random.Random,
                state: BodyState) -> tuple[dict[str, Number], dict[str, int], dict[str, int]]:
    """表二 (2019): 上一年项目数量(N) = 上一年项目数量(N−1) + 本年增/减(N−1); 对外公开总数量 cumulative."""
    scale = SCALE[body.kind]
    cells: dict[str, Number] = {}
    published = dict(state.published)
    for row in ("rules", "normative"):
        if row == "rules" and body.kind in NO_RULES:
            made = new = 0
        else:
            made = rng.randint(0, 4) if row == "rules" else rng.randint(*scale["normative"])
            new = rng.randint(max(0, made - 2), made)
        published[row] = state.published[row] + new
        cells.update({f"t2.{row}.new_made": made, f"t2.{row}.new_published": new,
                      f"t2.{row}.total_published": published[row]})
    items = dict(state.items)
    for row in ITEM_ROWS:
        prev = state.items[row]
        change = rng.randint(-min(prev, 6), 8) if rng.random() < 0.7 else 0
        items[row] = prev + change
        cells[f"t2.{row}.prev_items"] = prev
        cells[f"t2.{row}.change"] = change
        if row != "fees":
            spec = scale["licensing" if row == "other_services" else row]
            cells[f"t2.{row}.decisions"] = _metric(spec, rng) if prev + change else 0
    count = rng.randint(0, scale["procurement"][1]) if rng.random() < 0.7 else 0
    cells["t2.procurement.count"] = count
    cells["t2.procurement.amount"] = round(rng.uniform(count * 2, count * 60 + 5), 2) if count else 0
    return cells, items, published


def table3(edition: str, body: CityBody, rng: random.Random, carried_in: dict[str, int],
           new_row: dict[str, int] | None = None, min_new: int = 0, no_fee_rows: bool = False) -> dict[str, int]:
    """表三: per applicant column 新收 + 上年结转 = （七）总计 + 结转下年度, （七） = Σ outcomes; 总计 = Σ columns."""
    t3 = layout.edition(edition).t3
    rows = outcome_rows(t3)
    weights = [0.0 if (no_fee_rows and r == "other_2") else OUTCOME_WEIGHTS[r] for r in rows]
    if new_row is None:
        scale = SCALE[body.kind]
        total = 0 if rng.random() < scale["none"] else rng.randint(*scale["apps"])
        new = _multinomial(total, list(APPLICANT_COLUMNS), list(COL_WEIGHTS), rng)
        new["natural"] = max(new["natural"], min_new)
    else:
        new = {col: int(new_row[col]) for col in APPLICANT_COLUMNS}
    cells: dict[str, int] = {}
    for col in APPLICANT_COLUMNS:
        cin = int(carried_in.get(col, 0))
        available = new[col] + cin
        out = 0 if rng.random() < 0.55 else rng.randint(0, available // 4)
        handled = available - out
        parts = _multinomial(handled, rows, weights, rng)
        cells.update({f"t3.{r}.{col}": n for r, n in parts.items()})
        cells.update({f"t3.new.{col}": new[col], f"t3.carried_in.{col}": cin,
                      f"t3.result_total.{col}": handled, f"t3.carried_out.{col}": out})
    for row in t3.rows:
        cells[f"t3.{row.id}.total"] = sum(cells[f"t3.{row.id}.{col}"] for col in APPLICANT_COLUMNS)
    return cells


def table4(body: CityBody, rng: random.Random, reviews: int | None = None, suits: int | None = None) -> dict[str, int]:
    """表四: per group 维持 + 纠正 + 其他 + 尚未审结 = 总计 (targets: the review total and the suit total)."""
    hi = SCALE[body.kind]["t4"]
    if reviews is None:
        reviews = 0 if rng.random() < 0.6 else rng.randint(1, hi)
    if suits is None:
        suits = 0 if rng.random() < 0.75 else rng.randint(1, max(1, hi // 2))
    direct = rng.randint(0, suits)
    cells: dict[str, int] = {}
    for group, total in (("review", reviews), ("suit_direct", direct), ("suit_after_review", suits - direct)):
        parts = _multinomial(total, list(T4_PARTS), [6, 1.5, 1.5, 1], rng)
        cells.update({f"t4.{group}.{p}": n for p, n in parts.items()})
        cells[f"t4.{group}.total"] = total
    return cells


def to_2019_t3(cells: dict[str, Number]) -> dict[str, Number]:
    """A 2021-edition table 3 printed in the 2019 layout: （六）1–3 summed into the single （六） row."""
    out = {k: v for k, v in cells.items() if not k.startswith("t3.other_")}
    for col in (*APPLICANT_COLUMNS, "total"):
        out[f"t3.other.{col}"] = sum(int(cells[f"t3.other_{i}.{col}"]) for i in (1, 2, 3))
    return out


def litigation(cells: dict[str, Number]) -> tuple[int, int]:
    """(行政复议 total, 行政诉讼 total = 直接起诉 + 复议后起诉)."""
    return int(cells["t4.review.total"]), int(cells["t4.suit_direct.total"]) + int(cells["t4.suit_after_review.total"])


# ---------------------------------------------------------------- prose

_ALT = re.compile(r"\[([^\[\]]*)\]")
NUMERALS = "一二三四五六"


def expand(template: str, rng: random.Random, ctx: dict) -> str:
    """``[a|b]`` → one of the alternatives, then ``{name}`` → ``ctx[name]``."""
    return "".join(part if type(part) is str else rng.choice(part) for part in _parts(template)).format_map(ctx)


@cache
def _parts(template: str) -> tuple[str | tuple[str, ...], ...]:
    out: list[str | tuple[str, ...]] = []
    pos = 0
    for match in _ALT.finditer(template):
        out.extend([template[pos:match.start()], tuple(match.group(1).split("|"))])
        pos = match.end()
    out.append(template[pos:])
    return tuple(out)


INTROS = (
    "{year}年，{name}坚持以习近平新时代中国特色社会主义思想为指导，[全面|认真]贯彻落实《中华人民共和国政府信息公开条例》"
    "（以下简称《条例》），[坚持以公开为常态、不公开为例外|坚持公开为常态]，[持续推进政务公开工作|不断提升政务公开质量|推动政务公开工作提质增效]。",
    "{year}年，在{superior}的[坚强|正确]领导下，{me}[认真落实|深入贯彻]《条例》和[上级政务公开工作要点|政务公开工作部署]，"
    "[围绕中心工作深化政务公开|以公开促落实、强监管、优服务]，政府信息公开工作取得[新进展|新成效|明显成效]。",
    "[今年以来|{year}年以来]，{me}把政府信息公开作为[建设法治政府、服务型政府的重要抓手|推进治理能力现代化的重要举措|转变工作作风的重要内容]，"
    "[健全工作机制，规范公开流程|压实工作责任，完善制度体系]，各项工作[有序推进|扎实开展|稳步推进]。",
    "{year}年度，{name}严格执行《条例》规定，[紧扣群众关切|聚焦群众需求|围绕中心大局]，"
    "[以高质量公开助力高质量发展|不断提高政府工作透明度|持续深化政务公开]。",
    "{me}高度重视政府信息公开工作，{year}年[调整充实了|进一步健全了]政务公开工作领导小组，"
    "[由主要负责同志亲自抓、分管负责同志具体抓|明确分管领导和专职工作人员]，[形成了一级抓一级、层层抓落实的工作格局|确保各项工作落到实处]。",
    "{year}年，{me}对照[上级政务公开工作要点|年度政务公开工作任务清单]，[逐项细化任务分工|列出任务清单、明确完成时限]，"
    "[压实工作责任|层层传导压力]，推动政务公开工作[提质增效|规范有序开展]。",
    "[一年来|过去一年]，{name}深入践行以人民为中心的发展思想，[把公开透明的要求贯穿于行政权力运行全过程|将政务公开融入日常工作全过程]，"
    "政府信息公开工作总体[平稳有序|运行良好]。",
    "{year}年，{me}以群众需求为导向，[以规范化、标准化为抓手|以制度建设为保障]，持续加大政府信息公开力度，"
    "[切实保障人民群众的知情权、参与权和监督权|更好地服务经济社会发展]。",
)
AREAS = ("proactive", "apply", "manage", "platform", "supervise")
LABELS = (
    ("（一）主动公开。", "（二）依申请公开。", "（三）政府信息管理。", "（四）政府信息公开平台建设。", "（五）监督保障。"),
    ("一是抓好主动公开。", "二是规范依申请公开。", "三是加强政府信息管理。", "四是推进平台建设。", "五是强化监督保障。"),
    ("（一）持续深化主动公开。", "（二）依法做好依申请公开。", "（三）规范政府信息管理。", "（四）加强公开平台建设。", "（五）强化监督保障。"),
    ("1.主动公开：", "2.依申请公开：", "3.政府信息管理：", "4.平台建设：", "5.监督保障："),
    ("主动公开方面，", "依申请公开方面，", "政府信息管理方面，", "平台建设方面，", "监督保障方面，"),
    ("【主动公开】", "【依申请公开】", "【政府信息管理】", "【平台建设】", "【监督保障】"),
)
POOLS = {
    "proactive": (
        "[全年|本年度|{year}年][共|累计]通过{site}主动公开政府信息{pub}条，其中[政策文件|规范性文件及政策文件]{pub_policy}条[、人事信息{pub_hr}条|、财政资金信息{pub_fin}条|]。",
        "围绕[财政预决算|重大建设项目|公共资源配置|社会公益事业建设|乡村振兴|民生保障]等重点领域，[及时|持续|集中]公开相关信息{pub_key}条[，做到应公开尽公开|，切实保障群众知情权|]。",
        "[发布|制作发布][政策解读|解读]材料{interp}篇，[采用图文、视频、动漫等形式解读|其中图解、视频等多元化解读]{interp_media}[次|篇]，[增强了政策解读的针对性和可读性|让政策更加通俗易懂|提高了政策知晓度]。",
        "[及时回应社会关切|坚持回应关切与政策发布同步推进]，[通过新闻发布会、政务新媒体等渠道|依托政务热线、网站留言等渠道|通过在线访谈和政务新媒体]回应[热点问题|群众关切|社会关切问题]{respond}[次|个]。",
        "[动态更新|及时调整|定期维护]机构职能、领导信息、内设机构等基础信息，[确保公开内容准确完整|做到信息准确、更新及时|保证信息的权威性和时效性]。",
        "[全年|本年度]发布各类通知公告{notices}条[，内容涵盖就业创业、社会救助、教育医疗等领域|，重点做好民生领域信息公开|]。",
        "坚持“[以公开为常态、不公开为例外|应公开尽公开]”[原则|要求]，公开工作的[及时性|规范性|针对性]进一步[提升|提高|增强]。",
        "按照“谁制作、谁公开，谁公开、谁审查”的原则，[各股室|各业务科室|各部门单位|各站所]及时报送公开信息，[全年累计|全年共|全年]发布{pub_unit}条。",
        "[在|依托]{site}[开设|设置][“重点领域信息公开”|“政策文件”|“民生实事”|“财政信息”]专栏，[集中|分类]发布相关信息{pub_col}条。",
    ),
    "apply": (
        "[严格按照|依照]《条例》规定的[时限|期限]和程序办理，[做到依法答复、规范答复|确保答复内容合法、程序规范|办理过程依法规范]。",
        "[进一步规范了|不断健全|持续完善]受理、登记、[审核|会商]、答复[等环节|工作流程|全流程管理]，[答复文书格式规范、救济途径告知明确|提高了答复质量|提升了依申请公开办理质效]。",
        "[建立|完善]依申请公开[会商|研判|法律审核]机制，对[复杂疑难申请|涉及多个部门的申请|敏感申请]组织[会商研判|法律顾问审核|集体研究]。",
        "[畅通|拓宽][网上申请|当面申请|信函申请]等渠道，[为申请人提供便利|方便群众依法获取政府信息]。",
        "[加强|注重]与申请人的沟通，[对申请内容不明确的及时告知补正|耐心做好解释说明工作|引导申请人准确描述所需信息]。",
        "[完善|健全]依申请公开[登记台账|办理台账]，[做到件件有登记、事事有回应|实现办理过程全程留痕]。",
    ),
    "manage": (
        "[严格落实|认真执行]公开属性源头认定机制，[公文在拟制时即明确公开属性|在公文办理环节同步确定公开方式|做到公文公开属性应认定尽认定]。",
        "坚持“先审查、后公开”[和“一事一审”|]原则，[严格执行保密审查制度|落实信息发布三级审核制度]，[全年未发生泄密事件|确保公开信息安全|防止泄露国家秘密和敏感信息]。",
        "[及时调整|修订完善|动态更新]政府信息公开指南和[主动公开基本目录|公开目录]，[确保目录内容与实际工作相符|方便公众查阅|提高目录的实用性]。",
        "[组织开展|持续推进][行政规范性文件|规范性文件]清理[工作|]，对[不再适用|已失效|与上位法不一致]的文件[及时宣布失效并向社会公开|及时予以废止并公开|进行集中清理]。",
        "[加强|规范]政府信息管理，[定期|每季度|每半年]对已公开信息进行[梳理|自查|评估]，[对过时、失效信息及时处理|确保信息准确有效|及时纠正错漏信息]。",
        "[建立|健全]政府信息[发布|公开]台账，[对公开信息实行分类管理|做到公开事项有据可查|实现公开工作全程留痕]。",
        "[做好|加强]政策文件“立改废”信息的动态[更新|管理]，[在政府网站集中公开现行有效的规范性文件|并在公开专栏中标注文件效力]。",
    ),
    "platform": (
        "[持续优化|不断完善|升级改版]{site}政府信息公开专栏，[规范栏目设置|优化栏目布局|调整栏目分类]，全年更新信息{web}条。",
        "[用好|强化|加强][政务新媒体|政务微信公众号|政务微博]，[全年推送信息|全年发布信息|累计推送]{media}条[，关注人数达{fans}人|，阅读量达{reads}人次|]。",
        "在[便民服务中心|政务服务大厅|办事大厅][设置|设立]政府信息[查阅点|公开查阅室|查阅场所]，[方便群众就近查阅|配备专人提供查阅服务|提供免费查阅服务]。",
        "[推进|加强]政务公开专区[标准化|规范化]建设，[配备自助查询终端|设置咨询窗口|提供政策咨询服务]，[提升线下服务水平|方便企业群众办事|打通服务群众“最后一公里”]。",
        "[加强|做好]政府网站内容保障，[按要求开展网站自查|每季度开展网站检查|落实值班读网制度]，[确保网站安全平稳运行|及时整改错别字、空白栏目等问题|网站运行安全平稳]。",
        "[积极利用|充分发挥]政务公开栏、[村（居）务公开栏|电子显示屏|宣传栏]等线下渠道[公开信息|发布信息]，[扩大公开覆盖面|方便群众知晓|提高信息传播效果]。",
        "[编印|出版]政府公报{gazette}期，[免费发放至各公共查阅点|及时刊登政策文件|供群众免费取阅]。",
    ),
    "supervise": (
        "将政务公开工作纳入[年度绩效考核|综合考核|目标管理考核]，[考核结果作为评先评优的重要依据|分值占比进一步提高|压实各部门公开责任]。",
        "主动接受社会评议，[邀请群众代表、人大代表和政协委员参与政务公开工作评议|通过问卷调查收集意见建议|在网站开设意见征集栏目]。",
        "组织开展政务公开业务培训{train}次，参训人员{trainees}人次，[提升了工作人员业务能力|增强了依法公开意识|提高了工作规范化水平]。",
        "[定期|不定期|每季度]开展政务公开[专项督查|自查自纠|监督检查]，对发现的问题[及时督促整改|建立台账限期整改|逐项整改落实]。",
        "[本年度|全年]未发生因政府信息公开工作引起的责任追究情况。",
        "[成立|调整充实]政务公开工作领导小组，[明确分管领导和工作人员|配齐配强工作人员|形成主要领导负总责、分管领导具体抓的工作格局]。",
    ),
}
GAZETTE = (6,)   # the platform sentence on 政府公报: city and county governments only
LOCAL = (
    ("proactive", "围绕{proj1}、{proj2}等重点项目，[及时|主动|全程]公开[项目审批、建设进展等|招投标、资金使用等|征地拆迁、补偿安置等]信息{pub_proj}条。"),
    ("proactive", "[重点做好|认真做好]{proj1}[建设|实施]过程中的信息公开工作，[主动接受群众监督|及时发布工程进展情况|定期公布项目推进情况]。"),
    ("platform", "在{village1}、{village2}等[村（社区）|村居|社区][推行|试点]政务公开[标准目录|“一张清单”|服务站点]，[群众反响良好|取得良好效果|便民效果明显]。"),
    ("platform", "[结合|围绕]{proj1}[建设|推进]，[在现场公示栏|通过政务新媒体]同步公开[建设进度|资金使用|施工安排]情况，[接受群众监督|回应群众关切]。"),
)
GOV_SUPERVISE = (
    "工作考核、社会评议和责任追究结果情况：[本年度|全年]将政务公开纳入年度考核，[开展社会评议{reviews_n}次|组织群众评议{reviews_n}次]，[未发生责任追究情况|无责任追究情况]。",
    "[建立健全|完善]政务公开工作考核、社会评议和责任追究制度，[本年度开展工作考核{reviews_n}次|全年组织考核{reviews_n}次]，[未发生责任追究事件|无责任追究情况]。",
)
COUNT_SENTENCES = (
    "[本年度|全年|{year}年]{me}共收到政府信息公开申请{apps}件",
    "[本年度|全年]共[收到|接收][各类|]政府信息公开申请{apps}件",
    "{year}年新收政府信息公开申请{apps}件",
    "[全年|本年度]收到[信息公开|政府信息公开]申请共计{apps}件",
)
COUNT_TAILS = ("，均[严格按照规定时限|依法依规|按照法定程序]办理。", "，[所有申请|各项申请]均按照《条例》要求[依法处理|规范办理]。",
               "。", "，[未发生|无]逾期答复情况。")
LITIGATION_SENTENCES = (
    "[全年|本年度|{year}年]{me}因政府信息公开工作被申请行政复议{rev}件、被提起行政诉讼{suit}件。",
    "[本年度|全年]发生政府信息公开[方面的|]行政复议{rev}件、行政诉讼{suit}件。",
    "涉及政府信息公开的行政复议{rev}件、行政诉讼{suit}件[，均依法办理|，已按要求处理|]。",
)
FACILITIES = ("水库除险加固工程", "污水处理厂", "农贸市场改造项目", "安置小区", "医院新院区", "中学新校区", "产业园标准厂房",
              "公路改扩建工程", "老旧小区改造项目", "美丽乡村示范点", "文化广场", "体育公园", "自来水厂", "防洪堤",
              "物流园", "养老服务中心", "便民服务中心", "农村公路", "冷链仓储项目", "光伏电站")
STEMS = "东西南北新大石白黄青金龙凤马桥河湖山田塘沙松柏桃李梅竹杨柳枫桂茶安永太平和丰兴隆昌富顺宁康泰福仁华"
STEMS2 = "溪坪桥坝口湾塘埠庄店坊源江冲铺岗洲田坑岭阳林港头滩岩亭"

PROBLEMS = (
    "[政策解读形式较为单一|政策解读形式不够丰富|政策解读方式还比较传统]，[图解、视频等通俗易懂的解读产品偏少|解读的深度和广度还不够|解读材料可读性不强]",
    "信息发布的及时性[有待提高|还需加强|仍有不足]，[个别栏目更新不够及时|部分信息发布存在滞后现象|少数栏目长期未更新]",
    "依申请公开答复的规范性[还需加强|有待提升]，[个别答复文书说理不够充分|答复文书格式有待统一|告知救济途径不够具体]",
    "政务新媒体[运营水平不高|互动性不够强|内容更新频率偏低]，[与群众的互动交流较少|原创内容偏少|影响力有限]",
    "[工作人员业务能力参差不齐|部分工作人员业务不够熟练]，对《条例》的[理解把握还不够深入|学习还不够系统]",
    "[重点领域信息公开|财政信息公开|民生领域信息公开]的[深度和广度|全面性和准确性|规范性]还有差距",
    "[基层政务公开标准化规范化建设|村（居）务公开|基层公开目录编制]推进[不够平衡|还不够深入|进度偏慢]",
    "公开内容与群众需求的[契合度不够高|匹配度有待提升]，[群众关注的热点信息公开不够|信息实用性不强]",
    "政务公开专区作用发挥[不够充分|还不明显]，[来访查阅的群众较少|服务功能较为单一]",
    "信息公开审查机制落实[还不够严格|不够到位]，[个别信息存在格式不规范的情况|存在重形式轻内容的现象|个别信息要素不全]",
    "政策解读与政策文件同步发布的要求落实[不够到位|还有欠缺]",
    "回应社会关切的[主动性|时效性|针对性]不足，[对热点问题的回应不够及时|回应内容较为简单]",
    "政务公开工作力量[较为薄弱|相对不足]，[兼职人员多、专职人员少|人员变动较为频繁|业务骨干缺乏]",
    "[主动公开目录|政府信息公开指南][更新不够及时|与实际工作还不完全匹配|内容不够细化]",
    "[公开平台整合|网站集约化建设]还不够到位，[部分信息分散发布|信息检索不够便捷]",
    "[政务公开与政务服务融合|公开促服务]的程度不够，[办事指南公开不够详细|办事流程公开不够直观]",
    "[规范性文件公开|文件清理结果公开]不够及时，[个别已失效文件未及时标注|文件效力标注不够清晰]",
    "[数据开放|政务数据公开]工作起步较晚，[开放的数据集较少|数据更新不够及时]",
)
MEASURES = (
    "丰富政策解读形式，[多采用图表图解、音频视频等方式解读政策|提高解读材料的可读性|推出更多群众看得懂的解读产品]",
    "健全信息发布审核机制，[定期开展栏目巡查|落实专人负责栏目更新|实行栏目更新提醒制度]，确保信息及时更新",
    "加强业务培训，[提升工作人员依法公开的意识和能力|打造一支业务精通的政务公开队伍|做到以训促学、以学促用]",
    "规范依申请公开办理流程，[提高答复质量|加强答复文书的法律审核|统一答复文书格式]",
    "加强政务新媒体建设，[提升信息发布和互动回应水平|增强政务新媒体的吸引力|提高原创内容比例]",
    "聚焦群众关切，[加大重点领域信息公开力度|围绕民生热点做好信息公开|及时公开群众关心的热点信息]",
    "推进基层政务公开标准化规范化建设，[完善基层公开目录|提升基层公开质效|推动公开事项全覆盖]",
    "完善政务公开专区功能，[提升线下服务水平|发挥专区政策咨询作用|拓展专区服务内容]",
    "强化监督考核，[将政务公开工作纳入绩效考核|加大考核督查力度|定期通报工作情况]",
    "健全政策解读与政策文件同步[起草、同步审签、同步发布|发布]机制[，提高解读质量|，做到应解读尽解读|]",
    "建立[舆情收集和回应机制|政务舆情监测机制]，[及时回应社会关切|提高回应的时效性|增强回应的针对性]",
    "严格执行保密审查制度，[做到应公开尽公开、应保密尽保密|确保公开信息安全|防止泄密事件发生]",
    "[充实|配强]政务公开工作力量，[保持队伍相对稳定|明确专人负责|加强人员梯队建设]",
    "[动态调整|及时更新][主动公开目录|政府信息公开指南]，[确保目录与实际工作相符|增强目录的指导性|做到应列尽列]",
    "[推进|加快]公开平台[整合|集约化建设]，[实现信息统一发布|提升信息检索便利度]",
    "[推动|促进]政务公开与政务服务深度融合，[细化办事指南|优化办事流程公开]",
    "[开展|定期开展]规范性文件[清理|效力评估]，[及时标注文件效力|及时公开清理结果]",
    "[稳步推进|有序推进]政务数据开放，[增加开放数据集|提高数据更新频率]",
)
S5_LOCAL = (
    "[此外|同时|另外]，{me}将[结合|围绕]{proj1}等重点工作，[同步做好相关信息公开|加大相关信息公开力度|及时公开工作进展]。",
    "[特别是|尤其是]在{proj2}[推进|建设]中，[将全程公开项目信息|将及时公开资金使用情况|将主动接受群众监督]。",
)
S5_FORMS = (
    "[{year}年|本年度]，{me}政府信息公开工作[虽然取得了一定成效|取得了积极进展]，但[仍存在一些问题|与上级要求和群众期待相比还有一定差距]：{p_yishi}。\n"
    "[改进措施|下一步工作打算]：{m_yishi}。",
    "（一）存在的主要问题\n{p_semi}。\n（二）改进情况\n[下一步|{next}年]，{me}将{m_semi}。",
    "[对照上级要求|对照年度工作要点]，{me}政务公开工作还存在[不足|薄弱环节]，主要表现在：{p_semi}。"
    "针对上述问题，[{next}年|下一步]{me}将重点做好以下工作：{m_yishi}。",
    "[本年度|{year}年]工作中[发现的问题|存在的不足]主要有：{p_semi}。[下一步|今后]，我们将从以下方面加以改进：{m_semi}。",
    "{me}在政府信息公开工作中仍存在[薄弱环节|一些短板]。一方面，{p1}；另一方面，{p2}。[对此|针对以上问题]，{me}将{m1}，{m2}，"
    "[不断提升政务公开工作水平|推动政务公开工作再上新台阶]。",
)
S5_FOLLOW_UP = ("[上年度报告中提出的问题已基本整改到位|针对上年度存在的问题，已逐项落实整改措施]。",)
LEADS = {
    2: ("本年度主动公开政府信息情况如下：", "{year}年主动公开政府信息情况见下表。", "主动公开政府信息情况统计如下：", ""),
    3: ("本年度收到和处理政府信息公开申请情况如下：", "{year}年收到和处理政府信息公开申请情况见下表。", "依申请公开办理情况统计如下：", ""),
    4: ("本年度政府信息公开复议和诉讼情况如下：", "{year}年政府信息公开复议、诉讼情况见下表。", "复议、诉讼情况统计如下：", ""),
}
FEE_TEXTS = (
    "{year}年，{me}未收取政府信息公开信息处理费。",
    "本年度，{me}严格执行《政府信息公开信息处理费管理办法》，未向申请人收取信息处理费。",
    "{year}年度无收取信息处理费情况。",
    "本年度未发生收取信息处理费的情况。",
    "依据《政府信息公开信息处理费管理办法》，{me}本年度未收取信息处理费。",
)
FEE_NOTICE = "[本年度|{year}年]，{me}[向申请人发出信息处理费收费通知|依法向申请人发出收费通知]{fee_notices}份，申请人[均未按期缴纳|逾期未缴纳]，[实际未收取|未实际收取]信息处理费。"
NOTHING = ("无。", "本年度无其他需要报告的事项。", "{me}本年度无其他需要报告的事项。", "无其他需要报告的事项。")
GOV_OTHER = (
    "[{year}年政务公开工作要点落实情况|本年度政务公开重点工作落实情况]：[按照上级部署，逐项细化落实措施，各项任务均已完成|已对照任务清单全部完成]。",
    "[人大代表建议和政协委员提案办理结果公开情况|建议提案办理结果公开情况]：全年承办人大代表建议{sugg}条、政协委员提案{props}条，办理结果[均已按要求公开|已全部在网站公开]。",
)
NOTICE_TITLES = {"2019": "国务院办公厅政府信息与政务公开办公室关于政府信息公开工作年度报告有关事项的通知",
                 "2021": "国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知"}
BASIS = (
    "本报告[依据|根据]《中华人民共和国政府信息公开条例》（以下简称《条例》）和{notice}文件要求，由{name}[结合有关统计数据编制|编制]。",
    "根据《中华人民共和国政府信息公开条例》[和|以及]《{notice_title}》（{notice}）[有关要求|要求]，{name}[编制了|形成]本年度报告。",
    "[按照|依据]《中华人民共和国政府信息公开条例》规定和{notice}[文件|]要求，现公布{name}本年度政府信息公开工作情况。",
)
PARTS = ("全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况、"
         "存在的主要问题及改进情况、其他需要报告的事项。")
PERIODS = (
    "[本年度报告|本报告]中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。",
    "报告中所列数据统计期限为{year}年1月1日至{year}年12月31日。",
    "本报告所列数据的统计时限为{year}年1月1日至12月31日。",
)
ECOPY = "本年度报告的电子版可在{site}（{url}）[下载|查阅]。"
CONTACTS = (
    "如对本报告有任何疑问，请与{office}联系（地址：{address}；邮编：{postcode}；电话：{phone}；电子邮箱：{email}）。",
    "如对本年度报告有疑问，请联系{office}，联系电话：{phone}，[地址|联系地址]：{address}。",
    "联系方式：{office}，地址：{address}，邮编：{postcode}，电话：{phone}。",
    "公众对本报告如有疑问，可[来电|来函]咨询{office}（电话：{phone}，电子邮箱：{email}）。",
)


@dataclass
class ProseChoice:
    """Which templates a report's sections 一 and 五 used (the next year avoids them)."""

    intro: int = -1
    labels: int = -1
    picks: dict[str, tuple[int, ...]] = field(default_factory=dict)
    s5_form: int = -1
    problems: tuple[int, ...] = ()
    measures: tuple[int, ...] = ()


def _pick(rng: random.Random, n: int, k: int, avoid: Iterable[int] = (), never: Iterable[int] = ()) -> list[int]:
    """``k`` distinct indices below ``n``, none in ``never``, those in ``avoid`` only when needed."""
    avoid, never = set(avoid), set(never)
    fresh = [i for i in range(n) if i not in avoid and i not in never]
    if len(fresh) >= k:
        return rng.sample(fresh, k)
    rest = [i for i in range(n) if i in avoid and i not in never]
    return fresh + rng.sample(rest, min(len(rest), k - len(fresh)))


def _one(rng: random.Random, n: int, avoid: int) -> int:
    return rng.choice([i for i in range(n) if i != avoid] or [0])


def _local_name(rng: random.Random) -> str:
    return rng.choice(STEMS) + rng.choice(STEMS2)


def prose_context(body: CityBody, year: int, rng: random.Random) -> dict:
    lo, hi = SCALE[body.kind]["pub"]
    pub = rng.randint(lo, hi)
    projects = rng.sample(FACILITIES, 2)
    return {
        "year": year, "next": year + 1, "name": body.name, "me": rng.choice(body.refs), "superior": body.superior,
        "site": body.site, "url": body.url, "office": body.office, "address": body.address,
        "postcode": body.postcode, "phone": body.phone, "email": body.email,
        "pub": pub, "pub_policy": rng.randint(1, max(2, pub // 12)), "pub_hr": rng.randint(1, max(2, pub // 30)),
        "pub_fin": rng.randint(1, max(2, pub // 25)), "pub_key": rng.randint(5, max(6, pub // 4)),
        "pub_unit": rng.randint(max(1, pub // 3), pub), "pub_col": rng.randint(3, max(4, pub // 6)),
        "pub_proj": rng.randint(3, 90), "interp": rng.randint(2, 60), "interp_media": rng.randint(1, 20),
        "respond": rng.randint(2, 40), "notices": rng.randint(5, max(6, pub // 5)), "web": rng.randint(50, 5000),
        "media": rng.randint(40, 3000), "fans": rng.randint(1000, 90000), "reads": rng.randint(5000, 900000),
        "gazette": rng.randint(4, 24), "train": rng.randint(1, 12), "trainees": rng.randint(10, 400),
        "reviews_n": rng.randint(1, 4), "sugg": rng.randint(3, 80), "props": rng.randint(3, 80),
        "proj1": _local_name(rng) + projects[0], "proj2": _local_name(rng) + projects[1],
        "village1": _local_name(rng) + "村", "village2": _local_name(rng) + "社区",
    }


def section_one(body: CityBody, ctx: dict, rng: random.Random, prev: ProseChoice | None) -> tuple[str, ProseChoice]:
    """总体情况: an opening, then the five areas; states the applications (and reviews / suits) received."""
    prev = prev or ProseChoice()
    choice = ProseChoice(intro=_one(rng, len(INTROS), prev.intro), labels=_one(rng, len(LABELS), prev.labels))
    labels = LABELS[choice.labels]
    on_own_line = choice.labels in (0, 2) and rng.random() < 0.4
    local_area, local = LOCAL[rng.randrange(len(LOCAL))]
    litigation_in = rng.choice(("apply", "apply", "supervise", "closing"))
    paragraphs = [expand(INTROS[choice.intro], rng, ctx)]
    if rng.random() < 0.3:
        paragraphs[0] += rng.choice(("现将本年度政府信息公开工作情况报告如下：", "具体情况如下："))
    for n, area in enumerate(AREAS):
        pool = POOLS[area]
        k = rng.choice((1, 2) if area == "apply" else (2, 2, 3))
        never = GAZETTE if area == "platform" and body.kind not in ("city_gov", "county_gov") else ()
        picks = _pick(rng, len(pool), k, prev.picks.get(area, ()), never)
        choice.picks[area] = tuple(picks)
        sentences = [expand(pool[i], rng, ctx) for i in picks]
        if area == local_area:
            sentences.insert(rng.randint(0, len(sentences)), expand(local, rng, ctx))
        if area == "apply":
            count = expand(rng.choice(COUNT_SENTENCES), rng, ctx)
            if ctx["apps"] and ctx["apps_org"] and rng.random() < 0.5:
                count += f"，其中自然人申请{ctx['apps_natural']}件、法人或其他组织申请{ctx['apps_org']}件"
            sentences.insert(0, count + expand(rng.choice(COUNT_TAILS), rng, ctx))
        if area == "supervise" and body.kind in PEOPLES_GOVERNMENTS:
            sentences.append(expand(rng.choice(GOV_SUPERVISE), rng, ctx))
        if area == litigation_in:
            sentences.append(expand(rng.choice(LITIGATION_SENTENCES), rng, ctx))
        text = "".join(sentences)
        paragraphs.append(f"{labels[n].rstrip('。')}\n{text}" if on_own_line else labels[n] + text)
    if litigation_in == "closing":
        paragraphs.append(expand(rng.choice(LITIGATION_SENTENCES), rng, ctx))
    return "\n".join(paragraphs), choice


def section_five(ctx: dict, rng: random.Random, prev: ProseChoice | None, choice: ProseChoice,
                 follow_up: bool) -> str:
    """存在的主要问题及改进情况: problems and measures, different from the previous year's."""
    prev = prev or ProseChoice()
    choice.s5_form = _one(rng, len(S5_FORMS), prev.s5_form)
    k = 2 if choice.s5_form == 4 else rng.choice((2, 3, 3))
    choice.problems = tuple(_pick(rng, len(PROBLEMS), k, prev.problems))
    choice.measures = tuple(_pick(rng, len(MEASURES), max(k, 2), prev.measures))
    ps = [expand(PROBLEMS[i], rng, ctx) for i in choice.problems]
    ms = [expand(MEASURES[i], rng, ctx) for i in choice.measures]
    local = dict(ctx, p_yishi="；".join(f"{NUMERALS[i]}是{p}" for i, p in enumerate(ps)), p_semi="；".join(ps),
                 m_yishi="；".join(f"{NUMERALS[i]}是{m}" for i, m in enumerate(ms)),
                 m_semi="；".join(ms), p1=ps[0], p2=ps[1], m1=ms[0], m2=ms[1])
    text = expand(S5_FORMS[choice.s5_form], rng, local)
    if rng.random() < 0.7:
        text += "\n" + expand(rng.choice(S5_LOCAL), rng, ctx)
    if follow_up and rng.random() < 0.5:
        text = expand(S5_FOLLOW_UP[0], rng, ctx) + "\n" + text
    return text


def section_six(body: CityBody, edition: str, ctx: dict, cells: dict[str, Number], rng: random.Random,
                fee_stated: bool = True) -> str:
    """其他需要报告的事项 (2021: the 信息处理费), closing with the body's name and the publication date."""
    lines: list[str] = []
    if edition == "2021" and fee_stated:
        notices = int(cells.get("t3.other_2.total", 0))
        lines.append(expand(FEE_NOTICE, rng, dict(ctx, fee_notices=notices)) if notices
                     else expand(rng.choice(FEE_TEXTS), rng, ctx))
    if body.kind in PEOPLES_GOVERNMENTS and rng.random() < 0.5:
        lines.extend(expand(t, rng, ctx) for t in GOV_OTHER[:rng.randint(1, 2)])
    if not lines:
        lines.append(expand(rng.choice(NOTHING), rng, ctx))
    lines.extend([body.name, ctx["published"]])
    return "\n".join(lines)


def publication_date(body: CityBody, year: int, rng: random.Random, late: bool = False) -> str:
    """On time: by 31 January (departments) or 31 March (others) of the next year; late: 1–3 months after."""
    limit = DEADLINE.get(body.kind, 3)
    month = rng.randint(limit + 1, limit + 3) if late else rng.randint(1, limit)
    day = rng.randint(5, 28)
    if rng.random() < 0.25:
        return f"{year + 1}-{month:02d}-{day:02d}"
    return f"{year + 1}年{month}月{day}日"


def preface_text(body: CityBody, edition: str, ctx: dict, rng: random.Random,
                 contact: bool = True) -> tuple[str, ...]:
    """编制依据 (and the six parts), 统计期限 (and the 电子版), 联系方式 — the wording varies."""
    notice = layout.edition(edition).notice
    local = dict(ctx, notice=notice, notice_title=NOTICE_TITLES[edition])
    basis = expand(rng.choice(BASIS), rng, local) + (PARTS if rng.random() < 0.6 else "")
    period = expand(rng.choice(PERIODS), rng, local) + (expand(ECOPY, rng, local) if rng.random() < 0.7 else "")
    paragraphs = [basis, period] if rng.random() < 0.6 else [basis + period]
    if contact:
        paragraphs.append(expand(rng.choice(CONTACTS), rng, local))
    return tuple(paragraphs)


# ---------------------------------------------------------------- defects


def _col_label(col: str) -> str:
    return layout.edition("2021").t3.column(col).label.text


def inject_t3_balance(cells: dict, rng: random.Random) -> str:
    """+k to one outcome cell, its row total, （七） of the column and of 总计: only 一+二 = （七）+四 breaks."""
    col, row, k = rng.choice(APPLICANT_COLUMNS[:2]), rng.choice(("granted", "unavailable_1", "partial")), rng.randint(1, 3)
    for cid in (f"t3.{row}.{col}", f"t3.{row}.total", f"t3.result_total.{col}", "t3.result_total.total"):
        cells[cid] += k
    return (f"表三“{_col_label(col)}”列：本年新收 {cells[f't3.new.{col}']} + 上年结转 {cells[f't3.carried_in.{col}']} ≠ "
            f"办理结果总计 {cells[f't3.result_total.{col}']} + 结转下年度 {cells[f't3.carried_out.{col}']}"
            f"（{row} 与（七）总计各加 {k}）")


def inject_t3_result_sum(cells: dict, rng: random.Random) -> str:
    """+k to one outcome cell and its row total, （七） unchanged: only （七） = Σ outcomes breaks."""
    col, row, k = rng.choice(APPLICANT_COLUMNS[:2]), rng.choice(("granted", "unavailable_1", "not_handled_2")), rng.randint(1, 3)
    cells[f"t3.{row}.{col}"] += k
    cells[f"t3.{row}.total"] += k
    return f"表三“{_col_label(col)}”列：t3.{row}.{col} 加 {k}，（七）总计 {cells[f't3.result_total.{col}']} 未变"


def inject_t3_row_total(cells: dict, rng: random.Random, edition: str) -> str:
    """Move k between two outcome rows within one applicant column: the column sums hold, two row totals break."""
    rows = outcome_rows(layout.edition(edition).t3)
    filled = [(r, c) for r in rows for c in APPLICANT_COLUMNS if cells[f"t3.{r}.{c}"] > 0]
    row, col = rng.choice(filled)
    other = rng.choice([r for r in rows if r != row])
    k = rng.randint(1, int(cells[f"t3.{row}.{col}"]))
    cells[f"t3.{row}.{col}"] -= k
    cells[f"t3.{other}.{col}"] += k
    return f"表三 t3.{row}.{col} 减 {k}、t3.{other}.{col} 加 {k}，两行“总计”未变"


def inject_t4_sums(cells: dict, rng: random.Random) -> str:
    group, part, k = rng.choice(("review", "suit_direct", "suit_after_review")), rng.choice(T4_PARTS), rng.randint(1, 3)
    cells[f"t4.{group}.{part}"] += k
    return f"表四 t4.{group}.{part} 加 {k}，总计 {cells[f't4.{group}.total']} 未变"


def inject_rules(cells: dict, rng: random.Random, edition: str) -> str:
    """规章 non-zero for a body without rule-making power; in 2021 issued = repealed so 现行有效 stays 0."""
    k = rng.randint(1, 3)
    if edition == "2021":
        cells["t2.rules.issued"] = cells["t2.rules.repealed"] = k
        return f"表二“规章”本年制发 {k}、本年废止 {k}"
    cells["t2.rules.new_made"] = k
    return f"表二“规章”本年新制作数量 {k}"


def inject_carry(cells: dict, rng: random.Random, prev_out: dict[str, int], year: int) -> str:
    """上年结转 + k (one column) with the same k added to an outcome and （七）: table 3 stays balanced."""
    col, row, k = rng.choice(APPLICANT_COLUMNS[:2]), rng.choice(("granted", "unavailable_1")), rng.randint(1, 3)
    for cid in (f"t3.carried_in.{col}", "t3.carried_in.total", f"t3.{row}.{col}", f"t3.{row}.total",
                f"t3.result_total.{col}", "t3.result_total.total"):
        cells[cid] += k
    return (f"t3.carried_in.{col} = {cells[f't3.carried_in.{col}']}，但 {year - 1} 年报告 t3.carried_out.{col} = "
            f"{prev_out[col]}（t3.carried_in.total = {cells['t3.carried_in.total']}，上年 t3.carried_out.total = "
            f"{prev_out['total']}）")


def inject_in_force(cells: dict, rng: random.Random, prev_in_force: dict[str, int], year: int) -> str:
    row = "normative"
    expected = int(cells[f"t2.{row}.in_force"])
    delta = rng.choice([d for d in (-3, -2, -1, 1, 2, 3, 5) if expected + d >= 0])
    cells[f"t2.{row}.in_force"] = expected + delta
    return (f"t2.{row}.in_force = {expected + delta}，应为 {year - 1} 年 {prev_in_force[row]} + 制发 "
            f"{cells[f't2.{row}.issued']} − 废止 {cells[f't2.{row}.repealed']} = {expected}")


def shingles(text: str) -> set[str]:
    """8-character pieces of ``text`` without digits, spaces and punctuation (how copying is measured)."""
    clean = _NOISE.sub("", text)
    return {clean[i:i + 8] for i in range(max(len(clean) - 7, 0))}


_NOISE = re.compile(r"[\s\d,，、:：（）()“”\"'《》〈〉【】.．%％\-—。；;]+")
_SENTENCE = re.compile(r"[^。]*。|[^。]+$")
_LABEL_STARTS = tuple(label.rstrip("。：，") for style in LABELS for label in style)


def trim_copy(text: str, rng: random.Random, keep: float = 0.75) -> str:
    """A copy of another report's section 一 with some of its sentences left out, so that at most ``keep``
    of the original is in the copy while (nearly) all of the copy is in the original: the copy looks
    copied, the original does not. The opening goes first; labels and the sentences with numbers of
    cases (件) stay."""
    lines = [_SENTENCE.findall(line) for line in text.split("\n")]
    droppable = [(i, j) for i, line in enumerate(lines) for j, sentence in enumerate(line)
                 if "件" not in sentence and "工作考核" not in sentence and not sentence.startswith(_LABEL_STARTS)]
    rng.shuffle(droppable)
    droppable.sort(key=lambda cell: cell[0] != 0)   # the opening paragraph first: no seam is left behind
    original, dropped = shingles(text), set()

    def current() -> str:
        return "\n".join(t for t in ("".join(s for j, s in enumerate(line) if (i, j) not in dropped)
                                      for i, line in enumerate(lines)) if t)

    for cell in droppable:
        own = shingles(current())
        if len(original & own) / len(original) <= keep:
            break
        dropped.add(cell)
        trial = shingles(current())
        if len(trial & original) < 0.93 * len(trial):   # the seam would make the copy look less copied
            dropped.discard(cell)
    return current()


# ---------------------------------------------------------------- rendering


def render(record: ReportRecord) -> bytes:
    """The report file: txt (tab per cell or PDF-like rows), markdown, HTML or Word, with any printed
    heading variants or removed headings applied. Text formats are filled into a cached skeleton of the
    edition (byte-identical to ``render_slow``, which renders through ``synth.render`` every time)."""
    if record.style == "docx":
        return render_slow(record)
    statics, cell_ids = _skeleton(record.edition, record.style)
    cells = record.cells
    if any(cid not in cells for cid in cell_ids):
        return render_slow(record)
    values = [str(v) if type(v) is int else format_value(v) for v in (cells[cid] for cid in cell_ids)]
    text = "".join([piece for pair in zip(statics, values) for piece in pair] + [statics[-1]])
    escape = html.escape if record.style == "html" else (lambda t: t)
    text = text.replace(f"{_MARK_BODY}{_MARK_YEAR}年", escape(f"{record.body}{record.year}年"))
    paragraphs = {_MARK_PREFACE: list(record.preface)}
    paragraphs.update({_section_mark(n): [line.strip() for line in record.sections.get(n, "").splitlines()
                                           if line.strip()] for n in range(1, 7)})
    for mark, lines in paragraphs.items():
        if record.style == "html":
            text = text.replace(f'<p style="text-indent:2em">{mark}</p>\n',
                                "".join(f'<p style="text-indent:2em">{html.escape(line)}</p>\n' for line in lines), 1)
        else:
            text = text.replace(f"{mark}\n", "".join(f"{line}\n" for line in lines), 1)
    return _apply_headings(text, record).encode("utf-8")


def render_slow(record: ReportRecord) -> bytes:
    """``render`` through ``synth.render`` / ``synth.word`` for every report (the reference)."""
    spec = ReportSpec(record.body, record.year, record.edition, record.cells, record.sections, record.preface)
    if record.style == "docx":
        headings = {heading(n): text for n, text in record.headings.items()}
        out = []
        for block in blocks(spec):
            if isinstance(block, Para) and block.kind == "heading" and block.text in headings:
                if headings[block.text] is None:
                    continue
                block = Para(headings[block.text], "heading")
            out.append(block)
        return stable_zip(build_docx(out))
    if record.style == "html":
        return _apply_headings(render_html(spec), record).encode("utf-8")
    return _apply_headings(render_txt(spec, _TXT_STYLES[record.style]), record).encode("utf-8")


_TXT_STYLES = {"txt-tabs": "tabs", "txt-spaces": "spaces", "md": "markdown"}
_MARK_BODY, _MARK_YEAR, _MARK_PREFACE = "〔机关名称〕", 9999, "〔开头说明〕"
_SENTINEL_BASE = 987650000
_SENTINEL = re.compile(r"98765\d{4}")


def _section_mark(number: int) -> str:
    return f"〔第{NUMERALS[number - 1]}部分正文〕"


@cache
def _skeleton(edition: str, style: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The whole document of ``edition`` in ``style`` with marks for the body and the prose, cut at every
    cell: the text pieces between the cells, and the cell id printed after each piece."""
    ids = layout.edition(edition).cell_ids()
    cells = {cid: _SENTINEL_BASE + i for i, cid in enumerate(ids)}
    spec = ReportSpec(_MARK_BODY, _MARK_YEAR, edition, cells, {n: _section_mark(n) for n in range(1, 7)},
                      (_MARK_PREFACE,))
    text = render_html(spec) if style == "html" else render_txt(spec, _TXT_STYLES[style])
    pieces = _SENTINEL.split(text)
    order = tuple(ids[int(m) - _SENTINEL_BASE] for m in _SENTINEL.findall(text))
    return tuple(pieces), order


def _apply_headings(text: str, record: ReportRecord) -> str:
    for n, new in record.headings.items():
        old = heading(n)
        if record.style == "html":
            line = f'<p style="text-indent:2em"><strong>{html.escape(old)}</strong></p>\n'
            repl = f'<p style="text-indent:2em"><strong>{html.escape(new)}</strong></p>\n' if new else ""
        else:
            line, repl = f"\n{old}\n", f"\n{new}\n" if new else "\n"
        text = text.replace(line, repl, 1)
    return text


def stable_zip(data: bytes) -> bytes:
    """A zip (docx) with fixed member timestamps, so that the same document gives the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            target.writestr(member, source.read(info.filename))
    return buffer.getvalue()


# ---------------------------------------------------------------- the city


class _City:
    def __init__(self, out: Path, bodies: int, years: list[int], formats: list[str], defect_rate: float,
                 seed: int, kinds: tuple[str, ...]) -> None:
        self.out, self.years, self.formats, self.rate, self.seed, self.kinds = out, years, formats, defect_rate, seed, kinds
        self.bodies = build_bodies(bodies, random.Random(f"{seed}:register"))
        self.states = {b.body_id: initial_state(b, self._rng(b.body_id, 0, "state")) for b in self.bodies}
        self.choices: dict[str, ProseChoice] = {}
        self.records: dict[tuple[str, int], ReportRecord] = {}
        self.used: Counter[str] = Counter()
        self.clean: dict[int, list[ReportRecord]] = {}   # written clean reports of each year so far

    def _rng(self, body_id: str, year: int, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{body_id}:{year}:{purpose}")

    # -------------------------------------------------------- defect choice

    def feasible(self, body: CityBody, year: int) -> list[str]:
        edition = layout.edition_for_year(year).id
        prev = self.records.get((body.body_id, year - 1))
        prev_written = prev is not None and prev.written
        out = []
        for kind in self.kinds:
            if kind == "T2-RULES-ZERO" and body.kind not in ("township", "street", "county_gov"):
                continue
            if kind in ("VER-EDITION", "S6-FEE") and edition != "2021":
                continue
            if kind == "X-CARRY" and not prev_written:
                continue
            if kind == "X-IN-FORCE" and not (edition == "2021" and prev_written and prev.edition == "2021"):
                continue
            if kind == "DUP-PREVIOUS" and not (prev_written and prev.defect not in _PROSE_KINDS):
                continue
            if kind == "DUP-PEER" and self.peer(body, year) is None:
                continue
            out.append(kind)
        return out

    def peer(self, body: CityBody, year: int, rng: random.Random | None = None) -> ReportRecord | None:
        """A clean, written report of another body of the same year (same kind preferred)."""
        clean = self.clean.get(year, [])
        same = [r for r in clean if r.kind == body.kind] or clean
        if not same:
            return None
        return same[0] if rng is None else rng.choice(same)

    def choose_defect(self, body: CityBody, year: int) -> str | None:
        rng = self._rng(body.body_id, year, "defect")
        if rng.random() >= self.rate:
            return None
        options = self.feasible(body, year)
        if not options:
            return None
        least = min(self.used[k] for k in options)
        kind = rng.choice([k for k in options if self.used[k] == least])
        self.used[kind] += 1
        return kind

    # -------------------------------------------------------- one report

    def report(self, body: CityBody, year: int) -> ReportRecord:
        state = self.states[body.body_id]
        edition = layout.edition_for_year(year).id
        kind = self.choose_defect(body, year) if year in self.years else None
        rng = self._rng(body.body_id, year, "values")
        prose_rng = self._rng(body.body_id, year, "prose")
        prev = self.records.get((body.body_id, year - 1))
        source = None
        if kind == "DUP-PREVIOUS":
            source = prev
        elif kind == "DUP-PEER":
            source = self.peer(body, year, rng=self._rng(body.body_id, year, "peer"))

        # numbers: both editions' table 2 are simulated every year so that every chain continues
        t2_21, in_force = table2_2021(body, rng, state)
        t2_19, items, published = table2_2019(body, rng, state)
        new_row = ({c: int(source.cells[f"t3.new.{c}"]) for c in APPLICANT_COLUMNS} if source else None)
        t3 = table3(edition, body, rng, state.carried_out, new_row, min_new=1 if kind == "T3-ROW-TOTAL" else 0,
                    no_fee_rows=kind == "S6-FEE")
        t4 = table4(body, rng, *(litigation(source.cells) if source else (None, None)))
        prev_out, prev_in_force = dict(state.carried_out), dict(state.in_force)
        cells: dict[str, Number] = {**(t2_21 if edition == "2021" else t2_19), **t3, **t4}
        self.states[body.body_id] = BodyState({c: int(t3[f"t3.carried_out.{c}"]) for c in (*APPLICANT_COLUMNS, "total")},
                                              in_force, items, published)

        detail = ""
        if kind == "T3-BALANCE":
            detail = inject_t3_balance(cells, rng)
        elif kind == "T3-RESULT-SUM":
            detail = inject_t3_result_sum(cells, rng)
        elif kind == "T3-ROW-TOTAL":
            detail = inject_t3_row_total(cells, rng, edition)
        elif kind == "T4-SUMS":
            detail = inject_t4_sums(cells, rng)
        elif kind == "T2-RULES-ZERO":
            detail = inject_rules(cells, rng, edition)
        elif kind == "X-CARRY":
            detail = inject_carry(cells, rng, prev_out, year)
        elif kind == "X-IN-FORCE":
            detail = inject_in_force(cells, rng, prev_in_force, year)
            self.states[body.body_id].in_force["normative"] = int(cells["t2.normative.in_force"])
        printed = edition
        if kind == "VER-EDITION":
            printed = "2019"
            cells = {**t2_19, **to_2019_t3({k: v for k, v in cells.items() if not k.startswith("t2.")})}
            detail = f"{year} 年度报告使用 2019 版格式（应为 2021 版）"

        # prose
        ctx = prose_context(body, year, prose_rng)
        apps = int(cells["t3.new.total"])
        reviews, suits = litigation(cells)
        stated = {"applications": apps, "reviews": reviews, "suits": suits}
        if kind == "N-APPLICATIONS":
            stated["applications"] = apps + prose_rng.choice([d for d in (-2, -1, 1, 2, 3, 5) if apps + d >= 0])
            detail = f"正文称收到申请 {stated['applications']} 件，表三 t3.new.total = {apps}"
        elif kind == "N-LITIGATION":
            key = prose_rng.choice(("reviews", "suits"))
            stated[key] += prose_rng.randint(1, 3)
            detail = (f"正文称行政复议 {stated['reviews']} 件、行政诉讼 {stated['suits']} 件，表四为 {reviews} 件、{suits} 件")
        org = sum(int(cells[f"t3.new.{c}"]) for c in APPLICANT_COLUMNS[1:])
        ctx.update(apps=stated["applications"], apps_natural=int(cells["t3.new.natural"]), apps_org=org,
                   rev=stated["reviews"], suit=stated["suits"],
                   published=publication_date(body, year, prose_rng, late=kind == "REG-LATE"))
        prev_choice = self.choices.get(body.body_id)
        s1, choice = section_one(body, ctx, prose_rng, prev_choice)
        s5 = section_five(ctx, prose_rng, prev_choice, choice, follow_up=prev is not None)
        sections = {1: s1, 5: s5}
        for n in (2, 3, 4):
            sections[n] = expand(prose_rng.choice(LEADS[n]), prose_rng, ctx)
        sections[6] = section_six(body, printed, ctx, cells, prose_rng, fee_stated=kind != "S6-FEE")
        if kind == "S6-FEE":
            detail = f"第六部分未说明信息处理费：“{sections[6].splitlines()[0]}”"
        if kind == "REG-LATE":
            detail = f"公布日期 {ctx['published']}，晚于公布期限（{'1月31日' if body.kind == 'department' else '3月31日'}）"
        if kind == "DUP-PREVIOUS":
            sections[1], sections[5] = source.sections[1], source.sections[5]
            detail = f"第一、五部分与 {year - 1} 年报告（{source.file}）逐字相同"
            choice = source.choice or choice
        elif kind == "DUP-PEER":
            own_name = source.sections[1].replace(source.body, body.name)
            sections[1] = trim_copy(own_name, self._rng(body.body_id, year, "copy"))
            detail = f"第一部分抄自同年“{source.body}”的报告（{source.file}），换了机关名称、删去部分语句"
            if source.choice is not None:
                choice = ProseChoice(source.choice.intro, source.choice.labels, source.choice.picks,
                                     choice.s5_form, choice.problems, choice.measures)
        self.choices[body.body_id] = choice
        preface = preface_text(body, printed, ctx, prose_rng, contact=kind != "PRE-CONTACT")
        if kind == "PRE-CONTACT":
            detail = "开头说明未提供地址、电话或电子邮箱"
        headings: dict[int, str | None] = {}
        sec_rng = self._rng(body.body_id, year, "headings")
        for n in (4, 5):
            if sec_rng.random() < 0.15:
                headings[n] = f"{NUMERALS[n - 1]}、{sec_rng.choice(layout.sections()[n - 1].label.variants)}"
        if kind == "STR-SECTIONS":
            headings[5] = None
            detail = f"缺少标题“{heading(5)}”"
        if kind == "REG-MISSING":
            detail = f"名录中的“{body.name}”{year} 年度报告未公布"

        fmt_rng = self._rng(body.body_id, year, "format")
        fmt = self.formats[fmt_rng.randrange(len(self.formats))]
        style = {"txt": fmt_rng.choice(("txt-tabs", "txt-spaces")), "md": "md", "html": "html", "docx": "docx"}[fmt]
        return ReportRecord(
            body_id=body.body_id, body=body.name, kind=body.kind, year=year, edition=printed,
            file=f"reports/{year}/{body.body_id}{FORMATS[fmt]}", style=style,
            written=year in self.years and kind != "REG-MISSING", cells=cells, sections=sections, preface=preface,
            headings=headings, stated=stated, defect=kind, detail=detail,
            source=source.file if source is not None else None, choice=choice)

    def run(self) -> CityManifest:
        first, last = min(self.years), max(self.years)
        for year in range(first, last + 1):
            for body in self.bodies:
                record = self.records[(body.body_id, year)] = self.report(body, year)
                if record.written and record.clean:
                    self.clean.setdefault(year, []).append(record)
        return self.write()

    # -------------------------------------------------------- output

    def write(self) -> CityManifest:
        out = self.out
        out.mkdir(parents=True, exist_ok=True)
        if (out / "reports").exists():
            shutil.rmtree(out / "reports")
        for year in self.years:
            (out / "reports" / str(year)).mkdir(parents=True, exist_ok=True)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(("body_id", "name", "kind", "parent_id", "aliases"))
        for b in self.bodies:
            writer.writerow((b.body_id, b.name, b.kind, b.parent_id or "", ";".join(b.aliases)))
        (out / "register.csv").write_text(buffer.getvalue(), encoding="utf-8")
        reports = [r for (_, year), r in self.records.items() if year in self.years]
        labels = []
        for record in reports:
            if record.written:
                (out / record.file).write_bytes(render(record))
            if record.defect:
                label = {"file": record.file, "body_id": record.body_id, "year": record.year,
                         "rule_id": record.defect, "detail": record.detail}
                if record.source:
                    label["source"] = record.source
                labels.append(label)
        (out / "labels.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in labels),
                                         encoding="utf-8")
        counts = {
            "bodies_by_kind": dict(sorted(Counter(b.kind for b in self.bodies).items())),
            "reports": sum(r.written for r in reports), "missing": sum(not r.written for r in reports),
            "clean": sum(r.clean for r in reports), "defective": len(labels),
            "defects": dict(sorted(Counter(x["rule_id"] for x in labels).items())),
            "formats": dict(sorted(Counter(r.style for r in reports if r.written).items())),
            "editions": dict(sorted(Counter(r.edition for r in reports if r.written).items())),
        }
        manifest = CityManifest(out, self.seed, len(self.bodies), list(self.years), list(self.formats), self.rate,
                                counts, self.bodies, reports, labels)
        data = dict(manifest.to_json(), city=self.bodies[0].name)
        (out / "manifest.json").write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                          encoding="utf-8")
        return manifest


def generate_city(out: Path, bodies: int, years: range | list[int], formats: list[str], defect_rate: float,
                  seed: int, *, kinds: Iterable[str] | None = None) -> CityManifest:
    """Write a synthetic city's register, reports, defect labels and manifest under ``out`` (see the
    module docstring). Each report is defective with probability ``defect_rate``; it then gets the
    least-used defect kind that fits it (ties broken by the seed), among ``kinds`` (default: all of
    ``DEFECT_KINDS``). Years between the first and the last that are not asked for are simulated (the
    year chains run through them) but not written. An existing ``out/reports`` folder is replaced."""
    years = sorted(set(int(y) for y in years))
    if not years:
        raise ValueError("no years")
    formats = list(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(f"formats must be among {sorted(FORMATS)}, got {formats}")
    if not 0.0 <= defect_rate <= 1.0:
        raise ValueError("defect_rate must lie in [0, 1]")
    chosen = tuple(kinds) if kinds is not None else DEFECT_KINDS
    bad = [k for k in chosen if k not in DEFECT_KINDS]
    if bad:
        raise ValueError(f"unknown defect kinds {bad}")
    return _City(Path(out), bodies, years, formats, defect_rate, seed, chosen).run()


def _years(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-", 1)
        return list(range(int(a), int(b) + 1))
    return [int(y) for y in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synth.city", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--bodies", type=int, default=60)
    parser.add_argument("--years", default="2019-2024", help="2019-2024 or 2020,2021,2022")
    parser.add_argument("--formats", default="txt,html", help=f"comma-separated, among {','.join(FORMATS)}")
    parser.add_argument("--defect-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    manifest = generate_city(args.out, args.bodies, _years(args.years), args.formats.split(","), args.defect_rate,
                             args.seed)
    json.dump(manifest.to_json(), sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
