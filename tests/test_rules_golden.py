"""Golden cases: for every rule of ``rules/catalogue.yaml`` a tiny report where it passes, one where it
fails, one where it is not assessable and — for rules limited to some editions or kinds of body — one
where it does not apply.

Each case starts from a consistent synthetic report (``synth``: a township, 城关镇人民政府, 2021 in the
2021 edition or 2020 in the 2019 edition, 规章 cells 0) and changes exactly one thing: a number in the
spec, or a line of the rendered text (a heading, the contact paragraph, the 统计期限, a table row, one
value of a row). Only the status of the rule under test is asserted; for a fail the finding must also
name the cells or the text that was changed. The last test runs every case through Great Expectations
in one batch and requires exactly the statuses of the bare engine.
"""
from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pytest

from parsing import Report, parse_bytes
from rules.catalogue import catalogue
from rules.facts import report_facts
from rules.findings import Finding, evaluate_bare
from synth.render import ReportSpec, consistent_cells, render_txt
from synth.spec import heading
from synth.variants import glued_cells
from xxgk.check import check_reports

TOWN = "城关镇人民政府"
CITY = "淮安市人民政府"
NO_KIND = "城关公共资源交易平台"  # a name that says nothing about the kind of body
COUNTY_DEPT = "淮安市洪泽区教育局"  # a county-level department: no rule-making power (《立法法》)
CITY_DEPT = "淮安市教育局"
SEED = 1
YEAR = {"2019": 2020, "2021": 2021}
# Table 4 fixed (and consistent) so that it prints zeros: a blank cell then means "unknown", not 0.
T4 = {"review": (1, 2, 0, 0), "suit_direct": (0, 0, 0, 0), "suit_after_review": (0, 1, 0, 1)}
OTHER_SECTION_6 = "本年度无其他需要报告的事项。"


# ---------------------------------------------------------------- specs


@cache
def base_cells(edition: str) -> dict[str, int | float]:
    """Consistent cells for ``edition``: 规章 all 0, table 4 fixed, 2021 （六）2 moved into （六）3."""
    cells = dict(consistent_cells(edition, random.Random(SEED)))
    for cid in [c for c in cells if c.startswith("t2.rules.")]:
        cells[cid] = 0
    for group, parts in T4.items():
        for col, n in zip(("upheld", "corrected", "other", "pending"), parts):
            cells[f"t4.{group}.{col}"] = n
        cells[f"t4.{group}.total"] = sum(parts)
    if edition == "2021":
        for col in ("natural", "commercial", "research", "nonprofit", "legal", "other_org", "total"):
            cells[f"t3.other_3.{col}"] += cells[f"t3.other_2.{col}"]
            cells[f"t3.other_2.{col}"] = 0
    return cells


def cells_with(edition: str = "2021", set_: dict[str, int | float] | None = None,
               add: dict[str, int] | None = None, drop: tuple[str, ...] = ()) -> dict[str, int | float]:
    cells = dict(base_cells(edition))
    for cid, value in (set_ or {}).items():
        assert cid in cells, cid
        cells[cid] = value
    for cid, delta in (add or {}).items():
        assert cid in cells, cid
        cells[cid] += delta
    for cid in drop:
        del cells[cid]  # printed as an empty cell
    return cells


def spec(edition: str = "2021", *, year: int | None = None, body: str = TOWN, set_=None, add=None,
         drop: tuple[str, ...] = (), sections: dict[int, str] | None = None,
         cells_edition: str | None = None) -> ReportSpec:
    cells = cells_with(cells_edition or edition, set_, add, drop)
    return ReportSpec(body, year or YEAR[edition], edition, cells, sections)


def value(cid: str, edition: str = "2021") -> int | float:
    return base_cells(edition)[cid]


def application(row: str, col: str, n: int) -> dict[str, int]:
    """``n`` more applications of column ``col`` decided as ``row``: every identity still holds."""
    return {f"t3.{row}.{col}": n, f"t3.{row}.total": n, f"t3.result_total.{col}": n,
            "t3.result_total.total": n, f"t3.new.{col}": n, "t3.new.total": n}


# ---------------------------------------------------------------- text mutations


def txt(s: ReportSpec, style: str = "tabs") -> str:
    return render_txt(s, style)  # type: ignore[arg-type]


def _only_line(text: str, prefix: str) -> int:
    lines = text.split("\n")
    hits = [i for i, line in enumerate(lines) if line.startswith(prefix)]
    assert len(hits) == 1, f"{len(hits)} lines start with {prefix!r}"
    return hits[0]


def without_lines(text: str, *prefixes: str) -> str:
    """``text`` without the one line starting with each prefix."""
    for prefix in prefixes:
        lines = text.split("\n")
        del lines[_only_line(text, prefix)]
        text = "\n".join(lines)
    return text


def glued(text: str) -> str:
    """("spaces" style) tables as crawlers flatten them: the values of each row glued, no separator."""
    return glued_cells(text, "2021")


def replace_contact(text: str, new: str) -> str:
    """The contact paragraph replaced by ``new``."""
    lines = text.split("\n")
    lines[_only_line(text, CONTACT)] = new
    return "\n".join(lines)


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{text.count(old)} occurrences of {old!r}"
    return text.replace(old, new)


def drop_last_value(text: str, prefix: str) -> str:
    """("spaces" style) the row starting with ``prefix`` loses its last value: fewer values than columns."""
    lines = text.split("\n")
    i = _only_line(text, prefix)
    head, last = lines[i].rsplit(" ", 1)
    assert re.fullmatch(r"-?\d+(\.\d+)?", last), lines[i]
    lines[i] = head
    return "\n".join(lines)


def t4_value_line(text: str) -> int:
    """("spaces" style) index of the one line holding the 15 values of table 4."""
    lines = text.split("\n")
    hits = [i for i, line in enumerate(lines) if re.fullmatch(r"-?\d+(\.\d+)?( -?\d+(\.\d+)?){14}", line)]
    assert len(hits) == 1, hits
    return hits[0]


def without_t4_values(text: str) -> str:
    """("spaces" style) the value line of table 4 removed: all 15 cells lost."""
    lines = text.split("\n")
    del lines[t4_value_line(text)]
    return "\n".join(lines)


def without_table4(text: str, keep_heading: bool) -> str:
    """("spaces" style) table 4 (its three header lines and the value line) removed; with
    ``keep_heading=False`` the heading 四、… goes too."""
    lines = text.split("\n")
    end = t4_value_line(text)
    start = end - 3
    assert lines[start].startswith("行政复议"), lines[start]
    if not keep_heading:
        del lines[_only_line(text, heading(4))]
        start, end = start - 1, end - 1
    del lines[start:end + 1]
    return "\n".join(lines)


def hybrid(text: str) -> str:
    """("spaces" style, 2021 edition) the three （六） sub-rows replaced by the single 2019-edition row
    ``（六）其他处理`` holding their per-column sums."""
    prefixes = ("（六）其他处理 1.申请人无正当理由", "2.申请人逾期未按收费", "3.其他 ")
    lines = text.split("\n")
    where = [_only_line(text, p) for p in prefixes]
    assert where == list(range(where[0], where[0] + 3)), where
    rows = [[int(v) for v in lines[i].split(" ")[-7:]] for i in where]
    sums = [sum(col) for col in zip(*rows)]
    lines[where[0]:where[-1] + 1] = ["（六）其他处理 " + " ".join(map(str, sums))]
    return "\n".join(lines)


def without_tables_2_and_3(text: str) -> str:
    """Everything between the prose of section 二 and the heading of section 四, except heading 三."""
    start = text.index("本年度主动公开政府信息情况如下：") + len("本年度主动公开政府信息情况如下：")
    end = text.index(heading(4))
    return text[:start] + f"\n\n{heading(3)}\n\n" + text[end:]


def unreadable() -> bytes:
    """Random bytes named .txt: the parser gives up (parse_status failed)."""
    return bytes(random.Random(2024).randrange(256) for _ in range(4000))


# ---------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    rule: str
    status: str
    variant: str
    build: Callable[[], str | bytes]
    cells: tuple[str, ...] = ()  # a fail (or not_assessable) finding must name these cells
    says: tuple[str, ...] = ()  # a fail must say these words

    @property
    def id(self) -> str:
        return f"{self.rule}-{self.status}" + (f"-{self.variant}" if self.variant else "")

    def data(self) -> bytes:
        built = self.build()
        return built.encode("utf-8") if isinstance(built, str) else built


def C(rule: str, status: str, variant: str, build: Callable[[], str | bytes], cells=(), says=()) -> Case:
    return Case(rule, status, variant, build, tuple(cells), tuple(says))


def num(v: float) -> str:
    return f"{v:g}"


BASE21 = lambda: txt(spec())  # noqa: E731
BASE19 = lambda: txt(spec("2019"))  # noqa: E731
CONTACT = "如对本报告有任何疑问"
PERIOD21 = "统计期限自2021年1月1日起至2021年12月31日止"

NEW_NAT = value("t3.new.natural") + 5
GRANTED_NAT = value("t3.granted.natural") + 3
DENIED1_TOTAL = value("t3.denied_1.total") + 2
REVIEW_TOTAL = value("t4.review.total") + 4
OTHER_2019 = value("t3.other.legal", "2019") + 6
FEE_NOTICE = application("other_2", "natural", 2)
NEW_TOTAL = value("t3.new.total")
PROSE_NONE = "本年度，本镇继续做好主动公开、依申请公开、政府信息管理、平台建设和监督保障工作。"
PROSE_RECEIVED = PROSE_NONE + "全年共受理政府信息公开申请{}件，均按时答复。"
PROSE_LITIGATION = PROSE_NONE + "全年发生政府信息公开行政复议{}件、行政诉讼{}件。"

CASES: list[Case] = [
    # ---- structure
    C("STR-SECTIONS", "pass", "", BASE21),
    C("STR-SECTIONS", "pass", "2019", BASE19),
    C("STR-SECTIONS", "fail", "no-heading-5", lambda: without_lines(BASE21(), heading(5)), says=["第五部分"]),
    C("STR-SECTIONS", "not_assessable", "unreadable", unreadable),

    C("STR-TABLE2", "pass", "spaces", lambda: txt(spec(), "spaces")),
    C("STR-TABLE2", "fail", "row-removed", lambda: without_lines(txt(spec(), "spaces"), "行政规范性文件 "),
      says=["行政规范性文件"]),
    C("STR-TABLE2", "fail", "2019-row-removed", lambda: without_lines(txt(spec("2019"), "spaces"), "政府集中采购 "),
      says=["政府集中采购"]),
    C("STR-TABLE2", "not_assessable", "value-lost", lambda: drop_last_value(txt(spec(), "spaces"), "规章 ")),
    C("STR-TABLE2", "not_assessable", "value-lost-multidigit",
      lambda: drop_last_value(txt(spec(set_={"t2.normative.issued": 12, "t2.normative.in_force": 40}), "spaces"),
                              "行政规范性文件 ")),

    C("STR-TABLE3", "pass", "spaces", lambda: txt(spec(), "spaces")),
    C("STR-TABLE3", "fail", "row-removed", lambda: without_lines(txt(spec(), "spaces"), "2.重复申请 "),
      says=["重复申请"]),
    C("STR-TABLE3", "not_assessable", "value-lost", lambda: drop_last_value(txt(spec(), "spaces"), "2.重复申请 ")),

    C("STR-TABLE4", "pass", "spaces", lambda: txt(spec(), "spaces")),
    C("STR-TABLE4", "fail", "section-4-removed", lambda: without_table4(txt(spec(), "spaces"), keep_heading=False),
      says=["整张表缺失"]),
    C("STR-TABLE4", "fail", "table-removed", lambda: without_table4(txt(spec(), "spaces"), keep_heading=True),
      says=["整张表缺失"]),
    C("STR-TABLE4", "not_assessable", "values-lost",
      lambda: without_t4_values(txt(spec(), "spaces"))),

    # ---- edition
    C("VER-EDITION", "pass", "", BASE21),
    C("VER-EDITION", "pass", "2019", BASE19),
    C("VER-EDITION", "fail", "2021-in-2019-edition", lambda: txt(spec("2019", year=2021)),
      says=["2021 年度报告应使用 2021 版格式", "2019 版"]),
    C("VER-EDITION", "fail", "2020-in-2021-edition", lambda: txt(spec("2021", year=2020)),
      says=["2020 年度报告应使用 2019 版格式", "2021 版"]),
    C("VER-EDITION", "not_assessable", "no-year",  # no title year, no period, no year in the text
      lambda: replace_once(replace_once(BASE21(), f"{TOWN}2021年政府", f"{TOWN}政府"),
                           f"本年度报告中所列数据的{PERIOD21}。", "").replace("2021年", "本年")),
    C("VER-EDITION", "pass", "year-from-the-text",  # no title year, no period: section 一 says 2021年
      lambda: replace_once(replace_once(BASE21(), f"{TOWN}2021年政府", f"{TOWN}政府"),
                           f"本年度报告中所列数据的{PERIOD21}。", "")),

    C("VER-HYBRID", "pass", "spaces", lambda: txt(spec(), "spaces")),
    C("VER-HYBRID", "fail", "single-other-row", lambda: hybrid(txt(spec(), "spaces")),
      says=["表二为 2021 版", "为 2019 版"]),
    C("VER-HYBRID", "not_assessable", "no-tables-2-3", lambda: without_tables_2_and_3(BASE21())),

    # ---- preface
    C("PRE-PERIOD", "pass", "", BASE21),
    C("PRE-PERIOD", "fail", "wrong-year",
      lambda: replace_once(BASE21(), PERIOD21, "统计期限自2020年1月1日起至2020年12月31日止"),
      says=["2020年1月1日", "2021年"]),
    C("PRE-PERIOD", "fail", "absent", lambda: replace_once(BASE21(), f"本年度报告中所列数据的{PERIOD21}。", ""),
      says=["未写明统计期限"]),
    C("PRE-PERIOD", "not_assessable", "unreadable", unreadable),
    C("PRE-PERIOD", "pass", "no-title-year",  # the year is read from the period itself
      lambda: replace_once(replace_once(BASE21(), f"{TOWN}2021年政府", f"{TOWN}政府"),
                           PERIOD21, "统计期限为2021年1月1日至2021年12月31日")),

    C("PRE-CONTACT", "pass", "", BASE21),
    C("PRE-CONTACT", "fail", "no-contact-paragraph", lambda: without_lines(BASE21(), CONTACT),
      says=["联系地址、电话或电子邮箱"]),
    C("PRE-CONTACT", "not_assessable", "unreadable", unreadable),
    C("PRE-CONTACT", "fail", "glued-table-digits-only",
      lambda: glued(without_lines(txt(spec(set_={"t3.new.natural": 1234567}), "spaces"), CONTACT)),
      says=["联系地址、电话或电子邮箱"]),
    C("PRE-CONTACT", "pass", "phone-next-to-its-cue",
      lambda: replace_contact(txt(spec(), "spaces"), "如有疑问，请拨打咨询电话：0591-23156006。")),

    # ---- prose
    C("S1-AREAS", "pass", "", BASE21),
    C("S1-AREAS", "fail", "only-proactive",
      lambda: txt(spec(sections={1: "本年度，本机关认真做好主动公开工作，及时发布各类信息。"})),
      says=["依申请公开", "政府信息管理", "平台建设", "监督保障"]),
    C("S1-AREAS", "not_assessable", "no-heading-1", lambda: without_lines(BASE21(), heading(1))),

    C("S5-CONTENT", "pass", "", BASE21),
    C("S5-CONTENT", "fail", "no-measures",
      lambda: txt(spec(sections={5: "本年度工作存在问题：个别栏目更新不及时。"})), says=["改进措施"]),
    C("S5-CONTENT", "fail", "no-problems",
      lambda: txt(spec(sections={5: "下一步，我们将加强政策解读。"})), says=["存在的问题"]),
    C("S5-CONTENT", "not_assessable", "no-heading-5", lambda: without_lines(BASE21(), heading(5))),

    C("S6-FEE", "pass", "", BASE21),
    C("S6-FEE", "fail", "no-fee", lambda: txt(spec(sections={6: OTHER_SECTION_6})), says=[OTHER_SECTION_6]),
    C("S6-FEE", "not_assessable", "no-heading-6", lambda: without_lines(BASE21(), heading(6))),
    C("S6-FEE", "not_applicable", "2019", BASE19),

    # ---- table 2
    C("T2-NONNEG", "pass", "", BASE21),
    C("T2-NONNEG", "pass", "2019-negative-change", lambda: txt(spec("2019", set_={"t2.licensing.change": -7}))),
    C("T2-NONNEG", "fail", "negative", lambda: txt(spec(set_={"t2.normative.issued": -4})),
      cells=["t2.normative.issued"], says=["= -4"]),
    C("T2-NONNEG", "not_assessable", "blank", lambda: txt(spec(drop=("t2.licensing.decisions",))),
      cells=["t2.licensing.decisions"]),
    C("T2-NONNEG", "not_assessable", "value-lost-multidigit",
      lambda: drop_last_value(txt(spec(set_={"t2.normative.issued": 12, "t2.normative.in_force": 40}), "spaces"),
                              "行政规范性文件 ")),

    C("T2-RULES-ZERO", "pass", "", BASE21),
    C("T2-RULES-ZERO", "fail", "rules-issued", lambda: txt(spec(set_={"t2.rules.issued": 2})),
      cells=["t2.rules.issued"], says=["= 2"]),
    C("T2-RULES-ZERO", "fail", "2019-rules-published", lambda: txt(spec("2019", set_={"t2.rules.new_published": 3})),
      cells=["t2.rules.new_published"], says=["= 3"]),
    C("T2-RULES-ZERO", "not_assessable", "blank", lambda: txt(spec(drop=("t2.rules.in_force",))),
      cells=["t2.rules.in_force"]),
    C("T2-RULES-ZERO", "not_assessable", "unknown-body", lambda: txt(spec(body=NO_KIND))),
    C("T2-RULES-ZERO", "not_applicable", "city-government", lambda: txt(spec(body=CITY, set_={"t2.rules.issued": 2}))),
    C("T2-RULES-ZERO", "fail", "county-department", lambda: txt(spec(body=COUNTY_DEPT, set_={"t2.rules.issued": 2})),
      cells=["t2.rules.issued"], says=["= 2"]),
    C("T2-RULES-ZERO", "pass", "county-department", lambda: txt(spec(body=COUNTY_DEPT))),
    C("T2-RULES-ZERO", "not_applicable", "city-department",
      lambda: txt(spec(body=CITY_DEPT, set_={"t2.rules.issued": 2}))),

    C("T2-CUMULATIVE", "pass", "2019", BASE19),
    C("T2-CUMULATIVE", "fail", "total-below-new",
      lambda: txt(spec("2019", set_={"t2.normative.new_published": 5, "t2.normative.total_published": 3})),
      cells=["t2.normative.total_published", "t2.normative.new_published"], says=["3 <", "5"]),
    C("T2-CUMULATIVE", "not_assessable", "blank", lambda: txt(spec("2019", drop=("t2.normative.total_published",))),
      cells=["t2.normative.total_published"]),
    C("T2-CUMULATIVE", "not_applicable", "2021", BASE21),
    C("T2-CUMULATIVE", "not_applicable", "hybrid", lambda: hybrid(txt(spec(), "spaces"))),

    # ---- table 3
    C("T3-BALANCE", "pass", "", BASE21),
    C("T3-BALANCE", "pass", "2019-spaces", lambda: txt(spec("2019"), "spaces")),
    C("T3-BALANCE", "fail", "new-natural", lambda: txt(spec(add={"t3.new.natural": 5, "t3.new.total": 5})),
      cells=["t3.new.natural"], says=[f"本年新收 {NEW_NAT}"]),
    C("T3-BALANCE", "not_assessable", "blank", lambda: txt(spec(drop=("t3.carried_in.natural",))),
      cells=["t3.carried_in.natural"]),

    C("T3-RESULT-SUM", "pass", "", BASE21),
    C("T3-RESULT-SUM", "fail", "granted-natural",
      lambda: txt(spec(add={"t3.granted.natural": 3, "t3.granted.total": 3})),
      cells=["t3.granted.natural"], says=[f"予以公开 {GRANTED_NAT}"]),
    C("T3-RESULT-SUM", "fail", "2019-other-legal",
      lambda: txt(spec("2019", add={"t3.other.legal": 6, "t3.other.total": 6})),
      cells=["t3.other.legal"], says=[f"其他处理 {OTHER_2019}"]),
    C("T3-RESULT-SUM", "not_assessable", "blank", lambda: txt(spec(drop=("t3.granted.natural",))),
      cells=["t3.granted.natural"]),

    C("T3-ROW-TOTAL", "pass", "", BASE21),
    C("T3-ROW-TOTAL", "fail", "denied-1-total", lambda: txt(spec(add={"t3.denied_1.total": 2})),
      cells=["t3.denied_1.total"], says=[f"总计 {DENIED1_TOTAL}", "属于国家秘密"]),
    C("T3-ROW-TOTAL", "not_assessable", "blank", lambda: txt(spec(drop=("t3.denied_1.total",))),
      cells=["t3.denied_1.total"]),

    C("T3-NONNEG", "pass", "", BASE21),
    C("T3-NONNEG", "fail", "negative", lambda: txt(spec(set_={"t3.partial.research": -1})),
      cells=["t3.partial.research"], says=["= -1"]),
    C("T3-NONNEG", "fail", "fraction", lambda: txt(spec(set_={"t3.unavailable_2.legal": 1.5})),
      cells=["t3.unavailable_2.legal"], says=["= 1.5"]),
    C("T3-NONNEG", "not_assessable", "blank", lambda: txt(spec(drop=("t3.partial.research",))),
      cells=["t3.partial.research"]),

    C("T3-FEE-NOTICE", "pass", "zero", BASE21),
    C("T3-FEE-NOTICE", "pass", "explained", lambda: txt(spec(add=FEE_NOTICE))),
    C("T3-FEE-NOTICE", "fail", "unexplained", lambda: txt(spec(add=FEE_NOTICE, sections={6: OTHER_SECTION_6})),
      says=["为 2 件"]),
    C("T3-FEE-NOTICE", "not_assessable", "blank", lambda: txt(spec(drop=("t3.other_2.total",)))),
    C("T3-FEE-NOTICE", "not_applicable", "2019", BASE19),
    C("T3-FEE-NOTICE", "not_applicable", "hybrid", lambda: hybrid(txt(spec(add=FEE_NOTICE), "spaces"))),

    # ---- table 4
    C("T4-SUMS", "pass", "", BASE21),
    C("T4-SUMS", "pass", "spaces", lambda: txt(spec(), "spaces")),
    C("T4-SUMS", "fail", "review-total", lambda: txt(spec(add={"t4.review.total": 4})),
      cells=["t4.review.total", "t4.review.upheld"], says=[f"总计 {REVIEW_TOTAL}", "行政复议"]),
    C("T4-SUMS", "not_assessable", "blank", lambda: txt(spec(drop=("t4.review.upheld",))),
      cells=["t4.review.upheld"]),
    C("T4-SUMS", "not_assessable", "values-lost",
      lambda: without_t4_values(txt(spec(), "spaces"))),

    C("T4-NONNEG", "pass", "", BASE21),
    C("T4-NONNEG", "fail", "negative", lambda: txt(spec(set_={"t4.suit_direct.pending": -1})),
      cells=["t4.suit_direct.pending"], says=["= -1"]),
    C("T4-NONNEG", "fail", "fraction", lambda: txt(spec(set_={"t4.suit_after_review.other": 0.5})),
      cells=["t4.suit_after_review.other"], says=["= 0.5"]),
    C("T4-NONNEG", "not_assessable", "blank", lambda: txt(spec(drop=("t4.suit_direct.pending",))),
      cells=["t4.suit_direct.pending"]),

    # ---- prose against tables
    C("N-APPLICATIONS", "pass", "", BASE21),
    C("N-APPLICATIONS", "fail", "received", lambda: txt(spec(sections={1: PROSE_RECEIVED.format(NEW_TOTAL + 4)})),
      cells=["rowtotal.t3.new"], says=[f"{NEW_TOTAL + 4} ≠", f"{NEW_TOTAL}"]),
    C("N-APPLICATIONS", "fail", "chinese-numeral", lambda: txt(spec(sections={1: PROSE_RECEIVED.format("一")})),
      says=["1 ≠"]),
    C("N-APPLICATIONS", "not_assessable", "no-numbers", lambda: txt(spec(sections={1: PROSE_NONE}))),
    C("N-APPLICATIONS", "not_assessable", "table-blank",
      lambda: txt(spec(drop=("t3.new.total", "t3.new.natural")))),
    C("N-LITIGATION", "pass", "", lambda: txt(spec(sections={1: PROSE_LITIGATION.format(3, 2)}))),
    C("N-LITIGATION", "fail", "reviews", lambda: txt(spec(sections={1: PROSE_LITIGATION.format(5, 2)})),
      cells=["t4.review.total"], says=["5 ≠", "表四“行政复议·总计” 3"]),
    C("N-LITIGATION", "not_assessable", "no-numbers", BASE21),
]


def _param(case: Case):  # noqa: ANN202
    return pytest.param(case, id=case.id)


@cache
def parsed(case_id: str) -> Report:
    case = BY_ID[case_id]
    return parse_bytes(case.data(), f"{case.id}.txt")


@cache
def bare_findings(case_id: str) -> dict[str, Finding]:
    report = parsed(case_id)
    findings = evaluate_bare(report, report_facts(report), SINGLE_REPORT_RULES)
    return {f.rule_id: f for f in findings}


BY_ID = {c.id: c for c in CASES}
# Rules that need other reports (previous year, peers, the register) are tested in test_cross_rules.py.
SINGLE_REPORT_RULES = [r for r in catalogue().values() if not r.id.startswith(("X-", "DUP-", "REG-"))]


# ---------------------------------------------------------------- tests


def test_case_ids_are_unique():
    assert len(BY_ID) == len(CASES)


def test_every_rule_has_every_status():
    """pass, fail and not_assessable for every rule, and not_applicable for every rule limited to some
    editions or kinds of body."""
    have = {(c.rule, c.status) for c in CASES}
    missing = []
    for rule in SINGLE_REPORT_RULES:
        wanted = ["pass", "fail", "not_assessable"]
        if rule.bodies or set(rule.editions) != {"2019", "2021", "hybrid"}:
            wanted.append("not_applicable")
        missing += [(rule.id, s) for s in wanted if (rule.id, s) not in have]
    assert not missing
    assert {c.rule for c in CASES} == {r.id for r in SINGLE_REPORT_RULES}


@pytest.mark.parametrize("edition", ["2019", "2021"])
def test_base_report_is_clean(edition):
    """The starting point of every case: every table prints a 0 (so a blank is unknown, not 0) and
    every rule that applies passes."""
    for table in ("t2.", "t3.", "t4."):
        assert any(v == 0 for cid, v in base_cells(edition).items() if cid.startswith(table)), table
    report = parse_bytes(txt(spec(edition)).encode("utf-8"), "base.txt")
    assert report.parse_status == "ok", report.problems
    findings = evaluate_bare(report, report_facts(report), SINGLE_REPORT_RULES)
    unclean = {f.rule_id: f.status for f in findings if f.status not in ("pass", "not_applicable")}
    assert unclean == {"N-LITIGATION": "not_assessable"}, "the base prose states no 复议/诉讼 numbers"


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_golden(case: Case):
    finding = bare_findings(case.id)[case.rule]
    assert finding.status == case.status, finding.message
    if case.status == "fail":
        assert set(case.cells) <= set(finding.cell_ids), (finding.cell_ids, finding.message)
        for words in case.says:
            assert words in finding.message, finding.message
    if case.status == "not_assessable":
        assert finding.message.startswith("无法判断")
        assert set(case.cells) <= set(finding.cell_ids), (finding.cell_ids, finding.message)
    if case.status == "not_applicable":
        assert finding.message.startswith("不适用")


def test_gx_agrees_with_bare_on_every_case(tmp_path):
    """All golden cases in one Great Expectations batch: the same status as bare for every rule."""
    reports = [parsed(c.id) for c in CASES]
    result = check_reports(reports, tmp_path, engine="gx")
    bare_result = check_reports(reports, None, engine="bare")
    differ = []
    for case, checked, bare_checked in zip(CASES, result.checked, bare_result.checked):
        bare = {f.rule_id: f for f in bare_checked.findings}
        for finding in checked.findings:
            if finding.status != bare[finding.rule_id].status:
                differ.append((case.id, finding.rule_id, bare[finding.rule_id].status, finding.status))
        assert bare_findings(case.id)[case.rule].status == bare[case.rule].status, case.id
    assert len(result.checked) == len(CASES)
    assert not differ
