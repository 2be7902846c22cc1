"""City-level figures of a snapshot: per year, per rule, per county."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from portal.data import Body, County, Finding, Report, Snapshot


@dataclass(frozen=True)
class YearStats:
    """Reports (份) of one year by verdict, and the registered bodies' reports not filed."""

    year: int
    filed: int                   # reports of the run (份)
    missing: int | None          # filings missing (份); None: no register, or a year the run did not check
    compliant: int
    needs_review: int
    non_compliant: int


@dataclass(frozen=True)
class RuleCount:
    rule_id: str
    severity: str
    n_reports: int               # reports (or missing filings) with an open fail of the rule


@dataclass(frozen=True)
class CountyStats:
    county: County
    n_bodies: int
    n_filed: int
    n_non_compliant: int
    n_errors: int = 0            # open error-level fails of its bodies
    n_missing: int = 0           # open fails without a report (filings not found)
    n_warning_only: int = 0      # bodies with open warnings but no open error
    n_needs_review: int = 0      # bodies with no open error but a report that could not be fully checked

    @property
    def share(self) -> float:
        return self.n_non_compliant / self.n_bodies if self.n_bodies else 0.0

    @property
    def ranked(self) -> bool:
        """A county (ranked); 市本级 and unassigned bodies are listed after the ranking."""
        return self.county.level == "county"


def year_stats(snap: Snapshot) -> list[YearStats]:
    """Per year: reports filed, by verdict (合规 counts only verdict compliant), and filings missing (open
    missing-filing findings of a year the run checked)."""
    out = []
    by_year = Counter((r.year, r.verdict) for r in snap.reports)     # one pass over the reports
    for year in snap.years():
        verdicts = Counter({verdict: n for (y, verdict), n in by_year.items() if y == year})
        missing = (sum(b.missing_in(year) is not None for b in snap.bodies.values())
                   if snap.registered and snap.in_scope(year) else None)
        out.append(YearStats(year, sum(verdicts.values()), missing, verdicts["compliant"],
                             verdicts["needs_review"], verdicts["non_compliant"]))
    return out


def rule_counts(snap: Snapshot) -> list[RuleCount]:
    """Rules by the number of reports with an open fail, most frequent first."""
    counts: Counter[str] = Counter()
    severity: dict[str, str] = {}
    for body in snap.bodies.values():
        for _, finding in body.open_fails:
            counts[finding.rule_id] += 1
            severity[finding.rule_id] = finding.severity
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], severity[kv[0]] != "error", kv[0]))
    return [RuleCount(rule_id, severity[rule_id], n) for rule_id, n in ranked]


def county_stats(snap: Snapshot) -> list[CountyStats]:
    """Counties (the register's parent chain, see ``portal.counties``) ranked by their share of
    non-compliant bodies; then 市本级 and the unassigned bodies, not ranked."""
    groups: dict[str | None, list[Body]] = {}
    for body in snap.bodies.values():
        groups.setdefault(snap.county_of(body).key, []).append(body)
    out = [CountyStats(snap.counties.get(key) or snap.counties[None], len(members),
                       sum(bool(b.reports) for b in members), sum(b.non_compliant for b in members),
                       sum(f.severity == "error" for b in members for _, f in b.open_fails),
                       sum(r is None for b in members for r, _ in b.open_fails),
                       sum(bool(b.open_fails) and not b.non_compliant for b in members),
                       sum(b.verdict == "needs_review" for b in members))
           for key, members in groups.items()]
    order = {"county": 0, "city": 1, "none": 2}
    return sorted(out, key=lambda c: (order[c.county.level], -c.share, -c.n_non_compliant, -c.n_errors,
                                      c.county.name))


def bodies_by_county(snap: Snapshot, stats: list[CountyStats] | None = None) -> list[tuple[County, list[Body]]]:
    """Every body, grouped by county (ranked as ``county_stats``, or as ``stats`` when already computed), by
    name within a county."""
    members: dict[str | None, list[Body]] = {}
    for body in snap.bodies.values():
        members.setdefault(snap.county_of(body).key, []).append(body)
    ranked = county_stats(snap) if stats is None else stats
    return [(c.county, sorted(members[c.county.key], key=lambda b: (b.name, b.key))) for c in ranked]


@dataclass(frozen=True)
class Todo:
    """A body the office must chase (an open error-level fail) or watch (open warnings only)."""

    body: Body
    county: County
    fails: tuple[tuple[Report | None, Finding], ...]     # open fails, errors first, then by year

    @property
    def n_errors(self) -> int:
        return sum(f.severity == "error" for _, f in self.fails)

    @property
    def n_warnings(self) -> int:
        return sum(f.severity != "error" for _, f in self.fails)

    @property
    def years(self) -> list[int | None]:
        """Years with an open error (with any open fail when there is no error)."""
        wanted = [f for _, f in self.fails if f.severity == "error"] or [f for _, f in self.fails]
        return sorted({f.year for f in wanted}, key=lambda y: (y is None, y or 0))

    @property
    def n_missing(self) -> int:
        """Open fails without a report (a filing that was not found)."""
        return sum(r is None for r, _ in self.fails)


def todos(snap: Snapshot) -> tuple[list[Todo], list[Todo]]:
    """(bodies with an open error-level fail, bodies with open warnings only); most errors first, then most
    warnings, then county and name."""
    chase, watch = [], []
    for body in snap.bodies.values():
        fails = body.open_fails
        if not fails:
            continue
        ordered = tuple(sorted(fails, key=lambda p: (p[1].severity != "error", p[1].year is None,
                                                     p[1].year or 0, p[1].rule_id)))
        todo = Todo(body, snap.county_of(body), ordered)
        (chase if todo.n_errors else watch).append(todo)
    return sorted(chase, key=_todo_order), sorted(watch, key=_todo_order)


def _todo_order(t: Todo) -> tuple:
    return -t.n_errors, -t.n_warnings, t.county.key is None, t.county.name, t.body.name, t.body.key


def missing_filings(snap: Snapshot) -> list[tuple[Body, Finding]]:
    """Open fails that have no report behind them (e.g. REG-MISSING: a registered body did not publish),
    by year, county and name."""
    out = [(b, f) for b in snap.bodies.values() for f in b.gaps if f.is_open and snap.in_scope(f.year)]
    return sorted(out, key=lambda p: (p[1].year or 0, snap.county_of(p[0]).name, p[0].name, p[1].rule_id))


def pending_reports(snap: Snapshot) -> list[tuple[Body, Report]]:
    """The reports that could not be fully checked (verdict 待核实), by county, body and year."""
    out = [(b, r) for b in snap.bodies.values() for r in b.reports if r.verdict == "needs_review"]
    return sorted(out, key=lambda p: (snap.county_of(p[0]).name, p[0].name, p[1].year or 0))
