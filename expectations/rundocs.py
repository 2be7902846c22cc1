"""A run's Data Docs, built once after its last batch.

A run judging in batches validates each batch (``runner.validate``) and judges its reports. ``RunDocs``
collects what the pages show, batch after batch: each suite's validation result, the batches merged into
one (every failing report id kept in ``unexpected_by_scope``, counts added up), and per rule how many
reports had each status — counted from the findings themselves (``add_findings``), so the pages agree with
the audit list by construction — with the first reports of each status to name, and who they are. ``build``
then stores the merged results and builds the site once: one validation page per suite, the suites' pages,
one index, made offline once (``expectations.docs``). Every batch's validations run under the run's one
run id, so GX keeps one stored result per suite, overwritten batch after batch, never one per batch.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from expectations.assess import ReportName, RuleTally, report_names, tally_findings
from expectations.site import SHOWN, annotate


def run_identifier() -> Any:  # noqa: ANN401 - a GX RunIdentifier
    """A new GX run id (named "xxgk", stamped now)."""
    from great_expectations.core.run_identifier import RunIdentifier

    return RunIdentifier(run_name="xxgk", run_time=datetime.now(timezone.utc))


class RunDocs:
    """The Data Docs of one run folder: ``add`` each batch (its suites' validation results and what its
    reports' statuses are), then ``build`` once."""

    def __init__(self, run_dir: Path, run_id: Any = None) -> None:  # noqa: ANN401 - a GX RunIdentifier
        self.run_dir = Path(run_dir)
        self._run_id = run_id
        self.results: dict[str, Any] = {}
        self.tallies: dict[str, RuleTally] | None = {}
        self.names: dict[str, ReportName] | None = {}
        self.n_reports = 0

    @property
    def run_id(self) -> Any:  # noqa: ANN401
        """The run id every batch's validations are stored under (made on first use: GX is imported then)."""
        if self._run_id is None:
            self._run_id = run_identifier()
        return self._run_id

    def add(self, results: Mapping[str, Any], n_reports: int, tallies: Mapping[str, RuleTally] | None = None,
            names: Mapping[str, ReportName] | None = None) -> None:
        """One batch: its suites' validation results, the number of reports validated, the reports of each
        rule by status and the names of those named (without tallies, the pages show failures only)."""
        for name, result in results.items():
            if name in self.results:
                merge_results(self.results[name], result)
            else:
                self.results[name] = result
        self.n_reports += n_reports
        if tallies is None or self.tallies is None:
            self.tallies = self.names = None
            return
        for rule_id, counted in tallies.items():
            if rule_id in self.tallies:
                self.tallies[rule_id].merge(counted)
            else:
                self.tallies[rule_id] = RuleTally(rule_id, {s: list(ids) for s, ids in counted.ids.items()},
                                                  dict(counted.counts or {}), counted.keep)
        self.names.update(names or {})  # type: ignore[union-attr]

    def add_findings(self, results: Mapping[str, Any], findings: Iterable, facts: Sequence[Mapping]) -> None:
        """One batch, its statuses read from its findings (``rules.findings.Finding``) and its reports named
        from ``facts`` (only those a page names)."""
        counted = tally_findings(findings, keep=SHOWN)
        named = {rid for tallied in counted.values() for ids in tallied.ids.values() for rid in ids}
        self.add(results, len(facts), counted, report_names([f for f in facts if f["report_id"] in named]))

    def build(self) -> Path | None:
        """Data Docs of every batch added, built once into the run folder; the index page (None when no
        batch was validated)."""
        if not self.results:
            return None
        import great_expectations as gx

        from expectations.compile import plan
        from expectations.runner import _build_docs, _prepared, _result_key

        planned = plan()
        context, _ = _prepared(gx, self.run_dir, planned)
        annotate(self.results, self.tallies, self.names)
        store = context.validation_results_store
        for result in self.results.values():
            store.set(_result_key(result), result)  # what the pages are built from
        return _build_docs(context, self.results, self.run_id, self.run_dir, self.n_reports,
                           assessed=self.tallies is not None, planned=planned)


def merge_results(into: Any, more: Any) -> None:  # noqa: ANN401 - GX suite validation results
    """Add a later batch's validation result of a suite to ``into`` (in place): the failing ids per scope
    appended, counts added up, success and statistics made again."""
    from great_expectations.validator.validator import calc_validation_statistics

    for mine, theirs in zip(into.results, more.results, strict=True):
        if (mine.expectation_config.meta or {}).get("rule_id") != (theirs.expectation_config.meta or {}).get("rule_id"):
            raise ValueError("batches validated with different suites cannot share Data Docs")
        if (theirs.exception_info or {}).get("raised_exception"):
            mine.exception_info = theirs.exception_info
        ours, other = mine.result, theirs.result or {}
        for key, ids in (other.get("unexpected_by_scope") or {}).items():
            ours.setdefault("unexpected_by_scope", {}).setdefault(key, []).extend(ids)
        for key in ("observed_value", "element_count", "unexpected_count"):
            if key in other:
                ours[key] = ours.get(key, 0) + other[key]
        mine.success = bool(mine.success and theirs.success)
    statistics = calc_validation_statistics(into.results)
    into.success = statistics.success
    into.statistics = {"evaluated_expectations": statistics.evaluated_expectations,
                       "successful_expectations": statistics.successful_expectations,
                       "unsuccessful_expectations": statistics.unsuccessful_expectations,
                       "success_percent": statistics.success_percent}
