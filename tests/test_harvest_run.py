"""``xxgk run --harvest``: the harvest runs first (inside the nightly flow), its files are checked like any
others, and REG-MISSING follows what the sites showed: a site that could not be reached makes its bodies
待核实, a site reached without the year's report makes them 不合规. Real HTTP on 127.0.0.1 only."""
from __future__ import annotations

import duckdb
import pytest

import flows.harvest
from synth.mock_portal import PortalServer, mock_portal
from xxgk.cli import main
from xxgk.harvest.stage import HarvestSettings, run_harvest
from test_harvest import CLIENT


@pytest.fixture(scope="module")
def harvested_run(tmp_path_factory):
    portal = mock_portal()
    root = tmp_path_factory.mktemp("run-harvest")
    patch = pytest.MonkeyPatch()
    patch.setenv("XXGK_PARSE_WORKERS", "0")

    def quick_harvest(register: str, db: str, years: list[int] | None = None, **_: object) -> dict:
        """The harvest flow's work with the tests' short timeouts (the flow itself is tested elsewhere)."""
        return run_harvest(HarvestSettings(db, register, tuple(years) if years else None, CLIENT))

    patch.setattr(flows.harvest, "harvest", quick_harvest)
    try:
        with PortalServer(portal) as server:
            register = root / "register.csv"
            register.write_text(portal.register_csv(server.bases), encoding="utf-8")
            db = root / "warehouse" / "xxgk.duckdb"
            code = main(["run", "--harvest", "--register", str(register), "--years", "2022-2023", "--db", str(db),
                         "--out", str(root / "out"), "--docs", str(root / "docs"), "--engine", "bare"])
    finally:
        patch.undo()
    con = duckdb.connect(str(db), read_only=True)
    try:
        verdicts = con.execute("SELECT body_id, year, verdict, reasons FROM report_verdicts").fetchall()
        fetched = con.execute("SELECT count(*) FROM fetches").fetchall()[0][0]
    finally:
        con.close()
    site = (root / "out" / "portal" / "index.html").read_text(encoding="utf-8")
    return {"code": code, "verdicts": verdicts, "fetched": fetched, "portal": portal, "site": site}


def test_the_harvested_reports_are_checked_in_the_same_run(harvested_run) -> None:
    assert harvested_run["code"] == 1  # some body is 不合规 or 待核实
    assert harvested_run["fetched"] > 0
    checked = [v for v in harvested_run["verdicts"] if v[2] in ("compliant", "non_compliant", "needs_review")]
    assert len(checked) >= 10


def test_an_article_with_several_files_is_one_report_in_the_run(harvested_run) -> None:
    """Every body-year the portal publishes is one report in the run's verdicts (a stub page and its
    attachment, a page and the same report attached, a 附表 beside the report: judged once)."""
    reports: dict[tuple[str, int], int] = {}
    for body, year, _, _ in harvested_run["verdicts"]:
        reports[(body, year)] = reports.get((body, year), 0) + 1
    expected = {(e.body_id, e.year) for e in harvested_run["portal"].expected}
    assert {key: n for key, n in reports.items() if key in expected} == dict.fromkeys(expected, 1)


def test_an_unreachable_site_is_pending_and_a_reached_site_without_the_report_fails(harvested_run) -> None:
    missing = {(body, year): (verdict, reasons) for body, year, verdict, reasons in harvested_run["verdicts"]
               if reasons and any("无法访问" in r or "robots" in r or "未发现" in r or "未找到" in r for r in reasons)}
    assert any(v == "needs_review" for v, _ in missing.values()), missing
    assert any(v == "non_compliant" for v, _ in missing.values()), missing


def test_the_site_shows_the_harvest_and_its_unreachable_sites(harvested_run) -> None:
    site = harvested_run["site"]
    assert "网站采集" in site and "无法访问的网站" in site and "robots" in site
    portal = harvested_run["portal"]
    assert f"找到年度报告 {len(portal.expected)} 份" in site and f"另有 {len(portal.linked)} 个文件" in site
