"""The harvest demo (``scripts/demo-harvest``): the bundled mock portal served on 127.0.0.1, its register
written beside the demo's warehouse, and ``xxgk harvest`` run against it (faults included)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from synth.mock_portal import PortalServer, mock_portal
from xxgk.harvest import command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="demo-harvest")
    parser.add_argument("folder", nargs="?", default="out/demo-harvest")
    parser.add_argument("--plain", action="store_true", help="harvest without Prefect")
    options = parser.parse_args(argv)
    folder = Path(options.folder)
    folder.mkdir(parents=True, exist_ok=True)
    portal = mock_portal()
    with PortalServer(portal) as server:
        register = folder / "register.csv"
        register.write_text(portal.register_csv(server.bases), encoding="utf-8")
        print(f"模拟门户：{', '.join(server.bases.values())}（机关名录：{register}）", flush=True)
        cli = argparse.ArgumentParser(prog="xxgk harvest")
        command.add_arguments(cli)
        args = cli.parse_args(["--register", str(register), "--db", str(folder / "warehouse" / "xxgk.duckdb"),
                               "--out", str(folder / "out"), "--years", "2022-2023", "--delay", "0.1",
                               "--timeout", "1", "--retries", "1", "--max-mb", "0.5", "--progress"]
                              + (["--plain"] if options.plain else []))
        return command.main(args)


if __name__ == "__main__":
    from xxgk import offline

    offline.apply()
    sys.exit(main())
