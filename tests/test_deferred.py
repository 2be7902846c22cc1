"""``xxgk.deferred``: modules a library imports but this project does not use, imported on first use."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from xxgk import deferred


@pytest.fixture
def package(tmp_path, monkeypatch):  # noqa: ANN201 - the package's name
    """A package whose import leaves a trace (``executed``), with a module and a sub-package."""
    root = tmp_path / "deferpkg"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("", encoding="utf-8")
    (root / "mod.py").write_text("import builtins\nbuiltins.deferpkg_mod_runs = getattr(builtins, "
                                 "'deferpkg_mod_runs', 0) + 1\nVALUE = 42\n", encoding="utf-8")
    (root / "sub" / "__init__.py").write_text("NAME = 'sub'\n", encoding="utf-8")
    (root / "sub" / "leaf.py").write_text("from . import NAME\nLEAF = NAME + '/leaf'\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "deferpkg"
    for name in [n for n in sys.modules if n == "deferpkg" or n.startswith("deferpkg.")]:
        del sys.modules[name]
    import builtins

    builtins.__dict__.pop("deferpkg_mod_runs", None)


def test_a_deferred_module_runs_at_its_first_use_only(package: str) -> None:
    import builtins

    assert deferred.defer((f"{package}.mod",)) == [f"{package}.mod"]
    from deferpkg import mod  # what a library's import does: no run yet

    assert isinstance(mod, deferred.Deferred) and not hasattr(builtins, "deferpkg_mod_runs")
    assert mod.VALUE == 42 and builtins.deferpkg_mod_runs == 1
    assert not isinstance(sys.modules[f"{package}.mod"], deferred.Deferred)
    assert mod.VALUE == 42 and builtins.deferpkg_mod_runs == 1, "imported once"
    assert deferred.defer((f"{package}.mod",)) == [], "imported already: left alone"


def test_a_submodule_of_a_deferred_package_imports_the_package_first(package: str) -> None:
    assert deferred.defer((f"{package}.sub",)) == [f"{package}.sub"]
    from deferpkg.sub import leaf

    assert leaf.LEAF == "sub/leaf"
    assert sys.modules[f"{package}.sub"].NAME == "sub"
    assert not isinstance(sys.modules[f"{package}.sub"], deferred.Deferred)


def test_great_expectations_imports_without_scipy_stats_and_altair_until_used() -> None:
    code = textwrap.dedent("""
        import sys
        from xxgk import deferred
        assert deferred.defer() == ["scipy.stats", "altair"]
        import great_expectations
        from great_expectations.expectations.core.expect_column_kl_divergence_to_be_less_than import (
            ExpectColumnKLDivergenceToBeLessThan)
        assert all(isinstance(sys.modules[n], deferred.Deferred) for n in deferred.GX_UNUSED)
        from scipy import stats
        assert abs(stats.entropy([0.5, 0.5], [0.5, 0.5])) < 1e-12
        assert not isinstance(sys.modules["scipy.stats"], deferred.Deferred)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"GX_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "PATH": "/usr/bin:/bin",
                               "PYTHONPATH": str(__import__("conftest").REPO)})
    assert done.returncode == 0, done.stderr[-2000:]
