"""The README's ``xxgk sql`` examples run exactly as printed (on a warehouse of the current schema)."""
from __future__ import annotations

import re
import shlex

import pytest

from conftest import REPO
from warehouse_fixture import build
from xxgk.cli import main

README = REPO / "README.md"
EXAMPLES = re.findall(r"^\.venv/bin/xxgk (sql .+)$", README.read_text(encoding="utf-8"), re.MULTILINE) \
    if README.exists() else []


@pytest.mark.skipif(not EXAMPLES, reason="the README shows no xxgk sql example")
@pytest.mark.parametrize("command", EXAMPLES)
def test_readme_sql_example_runs(command, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XXGK_HOME", str(tmp_path))
    build(tmp_path / "warehouse" / "xxgk.duckdb")
    argv = shlex.split(command.split("  #")[0])
    assert main(argv) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.strip()
