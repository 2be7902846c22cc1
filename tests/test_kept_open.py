"""A run holds its warehouse open from the ingest to the load (``warehouse.connection.kept_open``)."""
from __future__ import annotations

from warehouse import db


def test_connections_join_the_warehouse_held_open_and_it_is_let_go_after(tmp_path):
    path = tmp_path / "w.duckdb"
    db.connect(path).close()  # created and migrated
    with db.kept_open(path):
        writer = db.connect(path)
        writer.execute("CREATE TABLE probe (n INTEGER)")
        writer.execute("INSERT INTO probe VALUES (1)")
        writer.close()
        reader = db.connect(path, read_only=True)  # a second configuration of an open file: refused by DuckDB
        assert reader.execute("SELECT n FROM probe").fetchall() == [(1,)]
        reader.close()
        with db.kept_open(path):  # held already: nothing more
            pass
        assert db.connect(path, read_only=True).execute("SELECT count(*) FROM probe").fetchall() == [(1,)]
    reader = db.connect(path, read_only=True)  # let go: a read-only connection of its own again
    assert reader.execute("SELECT n FROM probe").fetchall() == [(1,)]
    reader.close()


def test_the_snapshot_copied_after_the_release_holds_what_was_written(tmp_path):
    path = tmp_path / "w.duckdb"
    with db.kept_open(path):
        con = db.connect(path)
        con.execute("CREATE TABLE probe AS SELECT range AS n FROM range(1000)")
        con.close()
        db.release_kept(path)
        db.refresh_snapshot(path)
    snap = db.connect(db.snapshot_path(path), read_only=True)
    assert snap.execute("SELECT count(*) FROM probe").fetchall() == [(1000,)]
    snap.close()


def test_the_snapshot_of_a_warehouse_held_open_is_checkpointed_first(tmp_path):
    """A small run keeps its warehouse open through the summary: the snapshot thread checkpoints it before
    copying, so the copy holds every committed row in the file itself (no write-ahead log beside it)."""
    path = tmp_path / "w.duckdb"
    with db.kept_open(path):
        con = db.connect(path)
        con.execute("CREATE TABLE probe AS SELECT range AS n FROM range(1000)")
        con.execute("INSERT INTO probe SELECT range FROM range(500)")
        con.close()
        db.refresh_snapshot(path, background=True)
        reader = db.connect(path, read_only=True)  # the summary reads meanwhile
        assert reader.execute("SELECT count(*) FROM probe").fetchall() == [(1500,)]
        reader.close()
        db.wait_for_snapshot(path)
        assert not db.snapshot_path(path).with_name(db.snapshot_path(path).name + ".wal").exists()
        copy = tmp_path / "copy.duckdb"  # the snapshot file alone, as an analyst might copy it
        copy.write_bytes(db.snapshot_path(path).read_bytes())
    snap = db.connect(copy, read_only=True)
    assert snap.execute("SELECT count(*) FROM probe").fetchall() == [(1500,)]
    snap.close()


def test_letting_go_of_the_warehouse_waits_for_the_snapshot_copy_checkpointing_through_it(tmp_path, monkeypatch):
    """The snapshot thread checkpoints through a cursor of the connection held open; closing that connection
    (the end of the run) while it works would close the cursor under it."""
    import time

    from warehouse import connection

    checkpoint = connection._checkpoint  # noqa: SLF001

    def slow_checkpoint(con):  # noqa: ANN001
        time.sleep(0.5)
        checkpoint(con)

    monkeypatch.setattr(connection, "_checkpoint", slow_checkpoint)
    path = tmp_path / "w.duckdb"
    with db.kept_open(path):
        con = db.connect(path)
        con.execute("CREATE TABLE probe AS SELECT range AS n FROM range(100)")
        con.close()
        db.refresh_snapshot(path, background=True)
    db.wait_for_snapshot(path)  # no error: the copy was made before the warehouse was let go
    snap = db.connect(db.snapshot_path(path), read_only=True)
    assert snap.execute("SELECT count(*) FROM probe").fetchall() == [(100,)]
    snap.close()


def test_the_site_built_while_the_warehouse_is_held_open_writes_the_county_workbook_here(tmp_path):
    """A small run holds its warehouse open through the summary: no other process can open it then, so the
    county workbook is written in this process even when the run's parser processes are up."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import portal
    from warehouse_fixture import build

    path = build(tmp_path / "w.duckdb")
    with db.kept_open(path), ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        built = portal.build_all(path, tmp_path / "out", pool=pool)
    assert built["audit_by_county"].is_file()
