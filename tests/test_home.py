"""One project home: default paths resolve from ``XXGK_HOME`` or the folder holding ``xxgk.toml`` (or the
checkout), never from the current folder by accident; read-only commands never create a warehouse, say when
it is missing, and are not blocked by an analyst's session."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO
from warehouse_fixture import build
from xxgk import settings
from xxgk.cli import main


def test_xxgk_home_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("XXGK_HOME", str(tmp_path / "office"))
    monkeypatch.chdir(REPO)
    assert settings.project_home() == tmp_path / "office"
    assert settings.default_db() == tmp_path / "office" / "warehouse" / "xxgk.duckdb"
    assert settings.default_out() == tmp_path / "office" / "out"
    assert settings.default_docs() == tmp_path / "office" / "out" / "docs"
    run = settings.RunSettings(inputs=())
    assert (run.db, run.out_dir, run.docs) == (settings.default_db(), settings.default_out(), settings.default_docs())


def test_the_nearest_config_file_upward_is_home(tmp_path, monkeypatch):
    monkeypatch.delenv("XXGK_HOME", raising=False)
    (tmp_path / "xxgk.toml").write_text("", encoding="utf-8")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert settings.project_home() == tmp_path


def test_the_checkout_is_home_and_elsewhere_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("XXGK_HOME", raising=False)
    monkeypatch.chdir(REPO / "tests")
    assert settings.project_home() == REPO
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "other"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert settings.project_home() == tmp_path


def test_audit_from_another_folder_reads_the_home_warehouse(tmp_path, monkeypatch, capsys):
    home, elsewhere = tmp_path / "office", tmp_path / "elsewhere"
    build(home / "warehouse" / "xxgk.duckdb")
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("XXGK_HOME", str(home))
    assert main(["audit"]) == 0
    assert "东湖街道办事处" in capsys.readouterr().out
    monkeypatch.delenv("XXGK_HOME")
    assert main(["audit"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (f"xxgk audit: 仓库不存在：{elsewhere / 'warehouse' / 'xxgk.duckdb'}"
                           "（先运行 xxgk run，或用 --db 指定）")
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("argv", [["audit"], ["audit", "--findings"], ["sql", "SELECT 1"], ["report"],
                                  ["review", "fp", "--waive", "--reason", "x"]])
def test_no_command_creates_a_missing_warehouse(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.delenv("XXGK_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert "仓库不存在" in capsys.readouterr().err
    assert not (tmp_path / "warehouse").exists()


@pytest.fixture
def held(tmp_path):
    """A warehouse held by an analyst's read-write session in another process."""
    path = build(tmp_path / "warehouse" / "xxgk.duckdb")
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(path)!r}); "
                               "print('held', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    yield path
    holder.kill()
    holder.wait()


def test_an_analyst_session_does_not_block_the_readers(held, capsys):
    assert main(["audit", "--db", str(held)]) == 0
    assert "东湖街道办事处" in capsys.readouterr().out
    assert main(["sql", "SELECT count(*) AS n FROM runs", "--db", str(held), "--format", "csv"]) == 0
    assert capsys.readouterr().out.split() == ["n", "1"]


def test_a_held_warehouse_without_snapshot_says_so_at_once(held, capsys):
    import time

    from warehouse.db import snapshot_path

    snapshot_path(held).unlink()
    started = time.monotonic()
    assert main(["audit", "--db", str(held)]) == 2
    assert time.monotonic() - started < 10
    err = capsys.readouterr().err
    assert "正被另一个进程以写方式占用" in err and "Traceback" not in err
