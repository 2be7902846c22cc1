"""Parse and validate reports without the warehouse: the engine behind ``xxgk check``.

``engine="gx"`` decides every scope with the Great Expectations suites over the whole batch (one
validation per suite) and builds Data Docs; ``engine="bare"`` decides the same scopes in plain Python
(used by the benchmark to measure GX's overhead, and as the reference the GX path is tested against).
"""
from __future__ import annotations

import gc
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from parsing import Report, parse_file
from rules.catalogue import Rule, catalogue
from rules.checks import Scope, bare_fails
from rules.cross import add_cross_facts
from rules.facts import Facts, report_facts, with_register
from rules.filings import SiteOutcome, missing_filings
from rules.findings import Finding, judge_report
from rules.register import Body, Match, RegisterIndex
from rules.verdicts import Verdict, missing_verdict, report_verdict

if TYPE_CHECKING:
    from expectations.rundocs import RunDocs

STATUS_ORDER = {"fail": 0, "not_assessable": 1, "not_applicable": 2, "pass": 3}


@dataclass(frozen=True)
class Checked:
    report: Report
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class CheckResult:
    checked: tuple[Checked, ...]
    docs_index: Path | None
    missing: tuple[Finding, ...] = ()


def check_reports(reports: list[Report], run_dir: Path | None, engine: str = "gx",
                  register: list[Body] | None = None, today: date | None = None,
                  years: Iterable[int] | None = None) -> CheckResult:
    """Findings for every report (one per rule), decided in one batch; with a register, also one
    REG-MISSING finding per registered body and year without a report."""
    return check_described(reports, [report_facts(r) for r in reports], run_dir, engine, register, today, years)


def check_described(reports: list[Report], own_facts: list[Facts], run_dir: Path | None, engine: str = "gx",
                    register: list[Body] | None = None, today: date | None = None,
                    years: Iterable[int] | None = None, matches: dict[str, Match] | None = None,
                    judged: Sequence[bool] | None = None, common: Collection | None = None,
                    filed: list[Facts] | None = None, missing: bool = True,
                    harvest: Mapping[tuple[str, int], SiteOutcome] | None = None,
                    page_dates: Mapping[str, date] | None = None, docs: RunDocs | None = None) -> CheckResult:
    """``check_reports`` for reports whose own facts (``rules.facts.report_facts`` without a register)
    were computed already, e.g. by the parser workers. ``own_facts`` is completed in place; ``matches``
    (report id → match to the register) when the caller has them already. An incremental run passes a
    batch of which only the ``judged`` reports get findings (the others are what they read: see
    ``rules.cross.add_cross_facts`` for ``common``), and ``filed``: body id and year of every report of the
    run, from which REG-MISSING is decided (``missing=False``: not here, the caller decides it once).
    ``harvest`` (body id, year → what the body's website showed) and ``page_dates`` (report id → the date on
    the page it was published on) come from the harvests (``xxgk.harvest.evidence``): REG-MISSING and
    REG-LATE use them. ``docs`` (``expectations.rundocs.RunDocs``): the run's Data Docs, to which this batch
    is added (the caller builds them after its last batch); without it, with GX and a ``run_dir``, Data Docs
    of this batch are built now."""
    rules = list(catalogue().values())
    with collector_paused():  # the cross-report facts: many new sets and dicts, no cycle among them
        facts = batch_facts(reports, register, own_facts, matches, judged, common)
    if page_dates:  # after the register fixed each body's kind (its deadline)
        from xxgk.harvest.evidence import with_page_dates

        with_page_dates(facts, page_dates)
    chosen = [i for i in range(len(facts)) if judged is None or judged[i]]
    judged_facts = [facts[i] for i in chosen]
    later = docs
    if later is None and run_dir is not None and engine != "bare":
        from expectations.rundocs import RunDocs

        later = RunDocs(run_dir)
    fails, results = _engine(engine, judged_facts, run_dir, later)
    with collector_paused():  # a finding per report and rule: tens of thousands of objects, no cycle among them
        checked = tuple(Checked(reports[i], judge_report(rules, facts[i], reports[i], fails)) for i in chosen)
    index = None
    if results is not None and later is not None:
        later.add_findings(results, (f for c in checked for f in c.findings), judged_facts)
        index = later.build() if docs is None else None
    filed = filed if filed is not None else facts
    return CheckResult(checked, index, missing_of(register, filed, years, today, harvest) if missing else ())


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off meanwhile (back on after, if it was on). Judging a batch makes one
    finding per report and rule; each new object counts towards a collection, which walks every object the
    run holds (the batch's facts: hundreds of thousands) — about a third of judging. Findings form no cycles:
    reference counting frees what is dropped; the collector looks at the rest when it runs next."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def missing_of(register: list[Body] | None, filed: list[Facts], years: Iterable[int] | None = None,
               today: date | None = None,
               harvest: Mapping[tuple[str, int], SiteOutcome] | None = None) -> tuple[Finding, ...]:
    """REG-MISSING: the registered bodies' years with no report among ``filed`` (body id and year of each
    report), for ``years`` (default: every year a report is for); ``harvest``: what each body's website
    showed (an unreachable site makes a missing year not assessable)."""
    if not register:
        return ()
    expected = set(years) if years else {int(f["year"]) for f in filed if f.get("year")}
    return tuple(missing_filings(register, filed, expected, today, harvest=harvest))


def batch_facts(reports: list[Report], register: list[Body] | None,
                own_facts: list[Facts] | None = None, matches: dict[str, Match] | None = None,
                judged: Sequence[bool] | None = None, common: Collection | None = None) -> list[Facts]:
    """Facts of every report, matched to the register, with the cross-report facts of the batch."""
    facts = own_facts if own_facts is not None else [report_facts(r) for r in reports]
    if register is not None:
        kinds = {b.body_id: b.kind for b in register}
        parents = {b.body_id: b.parent_id for b in register}
        if matches is None:
            index = RegisterIndex(register)
            matches = {r.report_id: index.match(r.body) for r in reports}
        for report, own in zip(reports, facts):
            match = matches[report.report_id]
            with_register(own, report, kinds.get(match.body_id), match, kinds.get(parents.get(match.body_id)))
    add_cross_facts(reports, facts, judged, common)
    return facts


def _engine(engine: str, facts: list[Facts], run_dir: Path | None, docs: RunDocs | None):  # noqa: ANN202
    """The engine's scope verdicts, and with GX the suites' validation results for ``docs`` (the run's Data
    Docs, which name each report by body, year and file and count the reports of each status)."""
    if engine == "bare" or not facts:
        return bare_fails, None
    from expectations.assess import complete
    from expectations.runner import frame, validate

    df = frame(facts)
    outcome = validate(df, run_dir or default_run_dir(), build_docs=False, docs=docs)
    return gx_verdicts(outcome.verdicts, complete(df, facts)), outcome.results


def gx_verdicts(verdicts: Mapping[tuple[str, str], set[str]],  # noqa: ANN201 - a rules.findings.FailsFn
                known: Mapping[str, set[str]] | None = None):
    """GX's failing report ids per (rule, scope) as the judge asks for them: one scope of one report
    (``fails(rule, scope, facts)``); ``fails.failing``: per rule, the reports failing any scope; and
    ``fails.complete`` (``known``, when given: ``expectations.assess.complete``): per rule, the reports
    whose inputs are all known."""
    failing: dict[str, set[str]] = {}
    for (rule_id, _), ids in verdicts.items():
        failing.setdefault(rule_id, set()).update(ids)

    def gx_fails(rule: Rule, scope: Scope, f: Facts) -> bool:
        return f["report_id"] in verdicts[(rule.id, scope.key)]

    gx_fails.failing = failing  # type: ignore[attr-defined]
    if known is not None:
        gx_fails.complete = known  # type: ignore[attr-defined]
    return gx_fails


def run_docs(engine: str, run_dir: Path) -> RunDocs | None:
    """The Data Docs of a run judged in batches (GX only): ``check_described(..., docs=...)`` adds each
    batch, ``build()`` after the last one builds the site once and returns its index page."""
    if engine == "bare":
        return None
    from expectations.rundocs import RunDocs

    return RunDocs(run_dir)


def default_run_dir(root: Path = Path("out")) -> Path:
    return root / "check" / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def check_paths(paths: Iterable[Path], run_dir: Path | None, engine: str = "gx",
                register: list[Body] | None = None, years: Iterable[int] | None = None) -> CheckResult:
    return check_reports([parse_file(p) for p in paths], run_dir, engine, register, years=years)


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Fails first (errors before warnings), then not assessable, not applicable, passes."""
    return sorted(findings, key=lambda f: (STATUS_ORDER[f.status], f.severity != "error", f.rule_id))


def verdict_of(checked: Checked) -> Verdict:
    """不合规 / 待核实 / 合规 for one checked file (``rules.verdicts``)."""
    r = checked.report
    return report_verdict(r.parse_status, checked.findings, problems=r.problems)


def exit_code(result: CheckResult) -> int:
    """2 when a file could not be read, else 1 when a report is 不合规 or 待核实 (or a registered body's
    report is missing), else 0."""
    if any(c.report.parse_status == "failed" for c in result.checked):
        return 2
    verdicts = [verdict_of(c) for c in result.checked] + [missing_verdict(f) for f in result.missing]
    return 1 if any(v.verdict != "compliant" for v in verdicts) else 0


def to_json(checked: Checked) -> dict:
    r, verdict = checked.report, verdict_of(checked)
    return {"file": r.file, "report_id": r.report_id, "body": r.body, "year": r.year, "edition": r.edition,
            "parse_status": r.parse_status, "verdict": verdict.verdict, "verdict_reasons": list(verdict.reasons),
            "findings": [f.to_json() for f in sorted_findings(checked.findings)]}


def missing_to_json(finding: Finding) -> dict:
    """A registered body's year with no report, as ``xxgk check --json`` prints it."""
    verdict = missing_verdict(finding)
    return {"file": None, "report_id": finding.report_id, "body": finding.body, "year": finding.year,
            "verdict": verdict.verdict, "verdict_reasons": list(verdict.reasons), "findings": [finding.to_json()]}


def to_text(checked: Checked) -> list[str]:
    """Readable lines: one header, every fail and not-assessable finding, then the passes in one line."""
    r, verdict = checked.report, verdict_of(checked)
    lines = [f"{r.file} | {r.body or '（未识别机关）'} | {r.year or '—'} | 版式 {r.edition or '—'} | {r.parse_status}"
             f" | 结论：{verdict.label}"]
    lines += [f"  · {reason}" for reason in verdict.reasons if verdict.verdict != "non_compliant"]
    marks = {"fail": "✗", "not_assessable": "?"}
    quiet: dict[str, list[str]] = {"pass": [], "not_applicable": []}
    for f in sorted_findings(checked.findings):
        if f.status in marks:
            lines.append(f"  {marks[f.status]} {f.rule_id} [{f.severity}] {f.status}: {f.message}")
        else:
            quiet[f.status].append(f.rule_id)
    lines.append(f"  ✓ 通过：{'、'.join(quiet['pass']) or '—'}")
    if quiet["not_applicable"]:
        lines.append(f"  – 不适用：{'、'.join(quiet['not_applicable'])}")
    return lines
