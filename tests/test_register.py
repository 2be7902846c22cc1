"""Matching printed body names to the register: tolerant, recorded, never a silent guess."""
from __future__ import annotations

import pytest

from rules.register import Body, load_register, match_name, normal_name

REGISTER = [
    Body("320000", "沭阳县人民政府", "county_gov"),
    Body("320829", "洪泽区人民政府", "county_gov", aliases=("洪泽区政府",)),
    Body("1", "城关镇人民政府", "township"),
    Body("2", "城东镇人民政府", "township"),
    Body("3", "城南街道办事处", "street"),
    Body("4", "某县教育局", "department", aliases=("县教育局",)),
    Body("5", "平潭综合实验区管理委员会", "zone", aliases=("平潭综合实验区",)),
]


@pytest.mark.parametrize(("printed", "body_id", "how"), [
    ("城关镇人民政府", "1", "exact"),
    ("县教育局", "4", "exact"),                       # alias
    ("城关镇", "1", "normalised"),                    # suffix dropped
    ("淮安市洪泽区人民政府", "320829", "normalised"),  # enclosing city dropped
    ("洪泽区 人民政府", "320829", "normalised"),       # stray space
    ("平潭综合实验区", "5", "exact"),
    ("沐阳县人民政府", "320000", "one character differs"),  # OCR slip 沭/沐
])
def test_tolerant_matches(printed, body_id, how):
    match = match_name(printed, REGISTER)
    assert (match.body_id, match.how) == (body_id, how)
    assert 0 < match.confidence <= 1


def test_two_similar_names_are_ambiguous_not_guessed():
    match = match_name("城北镇人民政府", REGISTER)  # one character from both 城关镇 and 城东镇
    assert match.body_id is None and match.how.startswith("ambiguous")
    assert set(match.candidates) == {"城关镇人民政府", "城东镇人民政府"}


def test_unknown_body_is_unmatched():
    match = match_name("某某乡人民政府", REGISTER)
    assert match.body_id is None and match.how == "unmatched" and match.confidence == 0


def test_normal_name():
    assert normal_name("淮安市洪泽区人民政府") == normal_name("洪泽区人民政府") == "洪泽区"
    assert normal_name("淮安市人民政府") == "淮安市"


def test_register_files(tmp_path):
    csv = tmp_path / "r.csv"
    csv.write_text("body_id,name,kind,parent_id,aliases\n1,城关镇人民政府,township,9,城关镇;城关\n", encoding="utf-8")
    yml = tmp_path / "r.yaml"
    yml.write_text("bodies:\n  - {body_id: '1', name: 城关镇人民政府, kind: township, aliases: [城关镇]}\n",
                   encoding="utf-8")
    assert load_register(csv)[0].aliases == ("城关镇", "城关")
    assert load_register(yml)[0].kind == "township"
    bad = tmp_path / "bad.csv"
    bad.write_text("body_id,name,kind\n1,某地,village\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown kind"):
        load_register(bad)


def test_an_area_administration_is_a_zone_not_a_department():
    """平潭综合实验区金井片区管理局 runs an area (labels: zone); 淮安市教育局 stays a department."""
    from rules.bodies import infer_kind

    assert infer_kind("平潭综合实验区金井片区管理局") == "zone"
    assert infer_kind("某市高新技术产业开发区管理委员会") == "zone"
    assert infer_kind("淮安市教育局") == "department"
    assert infer_kind("某县自然资源局") == "department"
