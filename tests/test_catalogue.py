"""The catalogue and its implementations stay in step; rules/ stays free of Prefect and GX."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import REPO, SHARED
from rules.arithmetic import GROUPS
from rules.catalogue import STATUSES, catalogue
from rules.facts import FACT_NAMES



def test_every_rule_has_an_implementation():
    for rule in catalogue().values():
        kind = rule.check.kind
        assert kind in ("identity", "range", "fact"), rule.id
        if kind == "identity":
            group = rule.check.get("identities")
            assert group in GROUPS or (group == "statements" and rule.params.get("statements")), rule.id
        elif kind == "fact":
            assert rule.check.get("fact") in FACT_NAMES, rule.id
        else:
            assert rule.check.get("cells") in ("t2.", "t3.", "t4.", "t2.rules.") or rule.check.get("columns"), rule.id


def test_every_implementation_has_a_catalogue_entry():
    used_facts = {r.check.get("fact") for r in catalogue().values() if r.check.kind == "fact"}
    used_groups = {r.check.get("identities") for r in catalogue().values() if r.check.kind == "identity"}
    assert set(FACT_NAMES) == used_facts
    assert set(GROUPS) | {"statements"} == used_groups


def test_every_rule_is_documented():
    for rule in catalogue().values():
        assert rule.title and rule.basis and rule.source and rule.message, rule.id
        assert rule.severity in ("error", "warning")
        assert set(rule.editions) <= {"2019", "2021", "hybrid"}
    assert STATUSES == ("pass", "fail", "not_assessable", "not_applicable")


def test_every_core_rule_is_there():
    core_md = SHARED / "reference" / "rules-core.md"
    if not core_md.exists():
        pytest.skip("../shared/reference is not present")
    core = re.findall(r"^\| ([A-Z0-9]+-[A-Z0-9-]+) \| (error|warning) \|", core_md.read_text(encoding="utf-8"), re.M)
    assert len(core) >= 24, "parsed the core rule table"
    for rid, severity in dict(core).items():
        assert rid in catalogue(), rid
        assert catalogue()[rid].severity == severity, rid


def test_rules_package_imports_no_prefect_or_gx():
    code = ("import sys, rules.catalogue, rules.facts, rules.checks, rules.findings, rules.layout;"
            "bad=[m for m in sys.modules if m.split('.')[0] in ('prefect','great_expectations')];"
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
