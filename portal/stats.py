"""City-level figures of a snapshot: per year, per rule, per county."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from portal.data import Body, County, Snapshot


@dataclass(frozen=True)
class YearStats:
    year: int
    filed: int
    missing: int | None          # None when no register is loaded
    compliant: int
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

    @property
    def share(self) -> float:
        return self.n_non_compliant / self.n_bodies if self.n_bodies else 0.0


def year_stats(snap: Snapshot) -> list[YearStats]:
    """Bodies filed / missing (registered, no report) / compliant / non-compliant, per report year."""
    out = []
    for year in snap.years():
        filed = [b for b in snap.bodies.values() if b.reports_of(year)]
        bad = sum(b.non_compliant_in(year) for b in filed)
        missing = (sum(1 for b in snap.bodies.values() if b.registered and not b.reports_of(year))
                   if snap.registered else None)
        out.append(YearStats(year, len(filed), missing, len(filed) - bad, bad))
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
    """Counties (bodies grouped by parent_id) ranked by their share of non-compliant bodies."""
    groups: dict[str | None, list[Body]] = {}
    for body in snap.bodies.values():
        groups.setdefault(snap.county_of(body).key, []).append(body)
    out = [CountyStats(snap.counties.get(key) or snap.counties[None], len(members),
                       sum(bool(b.reports) for b in members), sum(b.non_compliant for b in members))
           for key, members in groups.items()]
    return sorted(out, key=lambda c: (-c.share, -c.n_non_compliant, c.county.key is None, c.county.name))


def bodies_by_county(snap: Snapshot) -> list[tuple[County, list[Body]]]:
    """Every body, grouped by county (ranked as ``county_stats``), by name within a county."""
    members: dict[str | None, list[Body]] = {}
    for body in snap.bodies.values():
        members.setdefault(snap.county_of(body).key, []).append(body)
    return [(c.county, sorted(members[c.county.key], key=lambda b: (b.name, b.key))) for c in county_stats(snap)]
