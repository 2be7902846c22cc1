"""The register's ``source_url`` column: where each body publishes its reports, validated on load."""
from __future__ import annotations

import pytest

from conftest import REPO
from rules.register import RegisterError, load_register, source_urls, url_problem

HEADER = "body_id,name,kind,parent_id,aliases,source_url\n"


def _csv(tmp_path, rows: str):
    path = tmp_path / "bodies.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_one_or_several_source_urls_per_body(tmp_path):
    bodies = load_register(_csv(tmp_path, "1,城关镇人民政府,township,,城关镇,http://a.gov.cn/nb/\n"
                                          "2,某县教育局,department,,,https://b.gov.cn/x/ ; http://b.gov.cn/y.pdf；"
                                          "https://b.gov.cn/x/\n3,东湖街道办事处,street,,,\n"))
    assert [b.source_urls for b in bodies] == [("http://a.gov.cn/nb/",),
                                               ("https://b.gov.cn/x/", "http://b.gov.cn/y.pdf"), ()]


def test_yaml_register_takes_a_list_or_a_string(tmp_path):
    path = tmp_path / "bodies.yaml"
    path.write_text("bodies:\n  - {body_id: 1, name: 城关镇人民政府, kind: township, source_url: [http://a/nb/, http://a/2/]}\n"
                    "  - {body_id: 2, name: 某县教育局, kind: department, source_url: 'http://b/nb/'}\n", encoding="utf-8")
    assert [b.source_urls for b in load_register(path)] == [("http://a/nb/", "http://a/2/"), ("http://b/nb/",)]


@pytest.mark.parametrize(("value", "words"), [
    ("www.gov.cn/nb/", "http:// 或 https://"),
    ("ftp://files.gov.cn/nb/", "http:// 或 https://"),
    ("http:///nb/", "缺少主机名"),
    ("http://a.gov.cn/年 报/", "空格"),
    ("http://a.gov.cn:port/", "无法解析"),
])
def test_a_bad_url_is_a_clear_chinese_error_naming_the_row(tmp_path, value, words):
    path = _csv(tmp_path, f"1,城关镇人民政府,township,,,http://ok.gov.cn/\n2,某县教育局,department,,,{value}\n")
    with pytest.raises(RegisterError) as caught:
        load_register(path)
    message = str(caught.value)
    assert "第 3 行" in message and "某县教育局" in message and value.strip() in message and words in message


def test_missing_names_and_duplicate_ids_are_refused(tmp_path):
    with pytest.raises(RegisterError, match="缺少 body_id 或 name"):
        load_register(_csv(tmp_path, "1,,township,,,\n"))
    with pytest.raises(RegisterError, match="机关编码 1 重复"):
        load_register(_csv(tmp_path, "1,城关镇人民政府,township,,,\n1,城东镇人民政府,township,,,\n"))


def test_registers_without_the_column_load_as_before():
    bodies = load_register(REPO / "examples" / "register.csv")
    assert bodies and all(b.source_urls == () for b in bodies)


def test_url_checks_directly():
    assert url_problem("https://www.example.gov.cn/xxgk/ndbg/index.html") is None
    assert source_urls(None) == () and source_urls("") == ()
