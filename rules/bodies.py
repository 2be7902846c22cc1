"""What kind of body printed a report, when no register says so.

Kinds (warehouse contract): township, street, county_gov, city_gov, department, zone. Inference from
the printed name is deliberately cautious: a name that does not say clearly what it is gives ``None``
(and rules scoped to body kinds are then ``not_applicable`` rather than guessed).
"""
from __future__ import annotations

import re

BODY_KINDS = ("township", "street", "county_gov", "city_gov", "department", "zone")
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # an area's own administration (平潭…金井片区管理局, …园区管理委员会) runs a zone, it is not a 部门
    ("zone", re.compile(r"(片区|园区|景区|开发区|高新区|新区|实验区|试验区|保税区|示范区|合作区)"
                        r"(管理局|管理委员会|管委会|管理处|工作委员会)$")),
    ("department", re.compile(r"(办公厅|办公室|局|委员会|委|厅|中心|所|院|署|办)$")),
    ("street", re.compile(r"街道(办事处)?$")),
    ("township", re.compile(r"(乡|镇)(人民政府)?$")),
    ("zone", re.compile(r"(实验区|开发区|高新区|新区|园区|管委会|管理委员会|示范区|合作区)$")),
    ("county_gov", re.compile(r"(县|区|旗)人民政府$")),
    ("city_gov", re.compile(r"(省|自治区|[^县区]市|自治州|地区|盟)人民政府$")),
)


def infer_kind(name: str | None) -> str | None:
    """The body kind a printed name states, or None when the name does not make it clear."""
    if not name:
        return None
    for kind, pattern in _PATTERNS:
        if pattern.search(name):
            return kind
    return None


def is_peoples_government(kind: str | None) -> bool:
    """各级人民政府 (条例第五十条第四项): township, county and city governments (not streets or departments)."""
    return kind in ("township", "county_gov", "city_gov")


# A county-level unit in a printed name: …县 / …区 / …旗, not the 区 of a zone or area (实验区, 开发区, 片区 …).
_COUNTY_UNIT = re.compile(r"[\u4e00-\u9fff](?:县|旗|(?<![片园发验新税景社校能范作贸城])区)"
                          r"(?!人民政府$)(?=.*(?:局|委员会|委|办公室|办|厅|中心|所|院|署))")
_CITY_UNIT = re.compile(r"(?:市|自治州|州|盟|地区)(?=.*(?:局|委员会|委|办公室|办|厅|中心|所|院|署))")


def department_level(name: str | None, parent_kind: str | None = None) -> str | None:
    """``county`` or ``city`` for a department: from the register's parent (a county or city government),
    else from the printed name (洪泽区教育局 → county, 淮安市教育局 → city); None when neither says."""
    if parent_kind in ("county_gov", "township", "street"):
        return "county"
    if parent_kind == "city_gov":
        return "city"
    if not name:
        return None
    if _COUNTY_UNIT.search(name):
        return "county"
    return "city" if _CITY_UNIT.search(name) else None


def body_scope(kind: str | None, level: str | None) -> str | None:
    """A finer kind for rules that need one: ``county_department`` (县/区 部门: no rule-making power)."""
    return "county_department" if kind == "department" and level == "county" else None
