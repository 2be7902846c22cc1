"""A process loads, indexes and matches a register once per content (``xxgk.settings._loaded_register``)."""
from __future__ import annotations

from pathlib import Path

from xxgk.settings import RunSettings

HEADER = "body_id,name,kind,parent_id,aliases\n"


def _settings(register: Path) -> RunSettings:
    return RunSettings(inputs=(register.parent,), register=register)


def test_the_same_register_is_loaded_and_matched_once_and_again_when_it_changes(tmp_path):
    register = tmp_path / "register.csv"
    register.write_text(HEADER + "b1,洪泽区人民政府,county_gov,,\n", encoding="utf-8")
    first = _settings(register)
    assert first._match("洪泽区人民政府").body_id == "b1"  # noqa: SLF001
    second = _settings(register)
    assert second.bodies is first.bodies and second.register_index is first.register_index
    assert second._match("洪泽区人民政府") is first._match("洪泽区人民政府")  # noqa: SLF001
    register.write_text(HEADER + "b2,洪泽区人民政府,county_gov,,\n", encoding="utf-8")
    changed = _settings(register)
    assert [b.body_id for b in changed.bodies] == ["b2"] and changed._match("洪泽区人民政府").body_id == "b2"  # noqa: SLF001
    assert first._match("洪泽区人民政府").body_id == "b1", "a run keeps the register it began with"  # noqa: SLF001


def test_no_register_matches_nothing(tmp_path):
    settings = RunSettings(inputs=(tmp_path,))
    assert settings.bodies == [] and settings.matches([]) == {}
