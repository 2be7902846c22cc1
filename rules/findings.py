"""Findings: one frozen record per (report, rule), whatever engine decided the scopes.

``judge`` combines applicability (edition, kind of body), assessability (are all inputs known?) and the
engine's verdict on each scope into one of four statuses, and renders the Chinese message an officer can
paste into a 整改通知: the cells, the numbers on both sides and where they were printed.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from parsing.model import Report
from rules import layout
from rules.catalogue import Rule, Status
from rules.checks import Scope, _layout_scopes, layout_key, range_violations, scopes, tables_for, unknown_inputs
from rules.facts import Facts
from rules.labels import cell_label, scope_label, term_label

FailsFn = Callable[[Rule, Scope, Facts], bool]
# an engine's verdict on one scope; it may carry ``failing`` (rule id → the reports failing any scope) and
# ``complete`` (rule id → the reports whose inputs are all known), each decided over a whole batch


@dataclass(frozen=True, init=False)
class Finding:
    """The result of one rule on one report."""

    report_id: str
    rule_id: str
    status: Status
    severity: str
    message: str
    cell_ids: tuple[str, ...] = ()
    expected: tuple[float, ...] = ()
    observed: tuple[float, ...] = ()
    locators: tuple[str, ...] = ()
    fingerprint: str = ""
    body: str | None = None
    year: int | None = None
    title: str = ""
    body_id: str | None = None
    details: tuple[str, ...] = field(default=())

    def __init__(self, report_id: str, rule_id: str, status: Status, severity: str, message: str,
                 cell_ids: tuple[str, ...] = (), expected: tuple[float, ...] = (), observed: tuple[float, ...] = (),
                 locators: tuple[str, ...] = (), fingerprint: str = "", body: str | None = None,
                 year: int | None = None, title: str = "", body_id: str | None = None,
                 details: tuple[str, ...] = ()) -> None:
        # Written out, as parsing.model.Cell's: the generated __init__ of a frozen dataclass sets each field
        # through object.__setattr__ (about 3x slower), and a run makes one finding per report and rule. The
        # object is the same: its fields in order in its __dict__ (tests/test_rules_fastpaths.py checks it).
        fields = self.__dict__
        fields["report_id"], fields["rule_id"], fields["status"] = report_id, rule_id, status
        fields["severity"], fields["message"], fields["cell_ids"] = severity, message, cell_ids
        fields["expected"], fields["observed"], fields["locators"] = expected, observed, locators
        fields["fingerprint"], fields["body"], fields["year"] = fingerprint, body, year
        fields["title"], fields["body_id"], fields["details"] = title, body_id, details

    def to_json(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "status": self.status, "severity": self.severity,
                "message": self.message, "cell_ids": list(self.cell_ids), "fingerprint": self.fingerprint,
                "expected": list(self.expected), "observed": list(self.observed), "locators": list(self.locators)}


def fingerprint(rule_id: str, body: str | None, year: int | None, cells: tuple[str, ...], facts: Facts) -> str:
    """Stable across re-runs of the same report; changes when the numbers in the cells change."""
    values = [f"{facts.get(c)}" for c in cells] if cells else ()  # most findings name no cell
    text = "|".join((rule_id, body or "", str(year or ""), *cells, *values))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def applicable(rule: Rule, facts: Facts) -> bool | None:
    """False when the rule does not apply (edition, kind of body); None when the kind is unknown."""
    edition = facts.get("edition")
    if edition is not None and edition not in rule.editions:
        return False
    if rule.bodies:
        kind = facts.get("body_kind")
        if kind is None:
            return None
        return kind in rule.bodies or facts.get("body_scope") in rule.bodies
    return True


def judge(rule: Rule, facts: Facts, report: Report, fails: FailsFn) -> Finding:
    """The finding of ``rule`` on one report; ``fails`` is the engine's verdict on one scope."""
    if report.parse_status == "failed":
        reason = report.problems[0] if report.problems else "文件无法读取"
        return _finding(rule, facts, "not_assessable", f"无法判断：{reason}")
    if "register" in rule.requires and not facts.get("register_loaded"):
        return _finding(rule, facts, "not_assessable", "无法判断：需要机关名录（--register）")
    scope_applies = applicable(rule, facts)
    if scope_applies is False:
        return _finding(rule, facts, "not_applicable", _not_applicable_text(rule))
    if scope_applies is None:
        return _finding(rule, facts, "not_assessable", "无法判断：机关类别未知（请在机关名录中登记）")
    return _decide(rule, facts, report, fails)


def judge_report(rules: Sequence[Rule], facts: Facts, report: Report, fails: FailsFn) -> tuple[Finding, ...]:
    """``tuple(judge(rule, facts, report, fails) for rule in rules)``, with what depends only on the report
    worked out once: a rule that does not apply, or whose every input the engine found known and no scope
    failing (``fails.complete``, ``fails.failing``), gets its finding here; every other case is ``judge``'s."""
    failing, known = getattr(fails, "failing", None), getattr(fails, "complete", None)
    if report.parse_status == "failed" or failing is None or known is None:
        return tuple(judge(rule, facts, report, fails) for rule in rules)
    report_id, body, year, body_id = facts["report_id"], facts.get("body"), facts.get("year"), facts.get("body_id")
    edition, kind, scope = facts.get("edition"), facts.get("body_kind"), facts.get("body_scope")
    registered, layout = facts.get("register_loaded"), layout_key(facts)
    named = f"|{body or ''}|{year or ''}"  # ``fingerprint`` of a finding that names no cell, after the rule id
    out = []
    for rule in rules:
        if "register" in rule.requires and not registered:
            out.append(judge(rule, facts, report, fails))
            continue
        if edition is not None and edition not in rule.editions:
            status, message = "not_applicable", _not_applicable_text(rule)
        elif rule.bodies and (kind is None or not (kind in rule.bodies or scope in rule.bodies)):
            out.append(judge(rule, facts, report, fails))  # the kind unknown, or not among the rule's
            continue
        elif (report_id in known.get(rule.id, ()) and report_id not in failing.get(rule.id, ())
              and not _optional(rule) and _layout_scopes(rule, layout)):
            status, message = "pass", "通过"
        else:
            out.append(_decide(rule, facts, report, fails))
            continue
        digest = hashlib.sha256((rule.id + named).encode("utf-8")).hexdigest()[:20]
        out.append(Finding(report_id, rule.id, status, rule.severity, message, (), (), (), (), digest, body, year,
                           rule.title, body_id, ()))
    return tuple(out)


def _optional(rule: Rule) -> bool:
    """An identity rule on statements a report may leave out: its scopes depend on the report's cells."""
    return rule.check.kind == "identity" and bool(rule.check.get("optional"))


def _decide(rule: Rule, facts: Facts, report: Report, fails: FailsFn) -> Finding:
    """Fail when a scope fails; else not assessable when an input is unknown; else pass."""
    checked = scopes(rule, facts)
    if not checked:
        return _finding(rule, facts, "not_assessable", "无法判断：报告未写明可核对的数字或内容")
    failed = [scope for scope in checked if fails(rule, scope, facts)] if _may_fail(rule, facts, fails) else None
    if failed:
        return _failure(rule, facts, report, failed)
    if _complete(rule, facts, fails):
        return _finding(rule, facts, "pass", "通过")
    unknown = unknown_inputs(rule, checked, facts)
    if unknown:
        unknown = list(dict.fromkeys(unknown))
        return _finding(rule, facts, "not_assessable", _unknown_text(rule, facts, unknown),
                        tuple(c for c in unknown if c.count(".") == 2))
    return _finding(rule, facts, "pass", "通过")


def _may_fail(rule: Rule, facts: Facts, fails: FailsFn) -> bool:
    """Whether a scope of ``rule`` can fail on this report: an engine that decided a whole batch says which
    reports fail any scope of each rule (``fails.failing``: rule id → report ids); asking it scope after
    scope is left for those. Without that, every scope is asked."""
    failing = getattr(fails, "failing", None)
    return failing is None or facts["report_id"] in failing.get(rule.id, ())


def _complete(rule: Rule, facts: Facts, fails: FailsFn) -> bool:
    """Whether the engine found every input of ``rule`` known on this report (``fails.complete``: rule id →
    report ids, decided over the batch at once); False when it does not say (the facts are looked at)."""
    known = getattr(fails, "complete", None)
    return known is not None and facts["report_id"] in known.get(rule.id, ())


def _finding(rule: Rule, facts: Facts, status: Status, message: str, cells: tuple[str, ...] = (),
             expected: tuple[float, ...] = (), observed: tuple[float, ...] = (), locators: tuple[str, ...] = (),
             details: tuple[str, ...] = ()) -> Finding:
    body, year = facts.get("body"), facts.get("year")
    fp = fingerprint(rule.id, body, year, cells, facts)
    return Finding(facts["report_id"], rule.id, status, rule.severity, message, cells, expected, observed, locators,
                   fp, body, year, rule.title, facts.get("body_id"), details)


def _unknown_text(rule: Rule, facts: Facts, unknown: list[str]) -> str:
    if rule.check.kind == "fact":
        return f"无法判断：{facts.get(unknown[0] + '__detail') or '相关内容无法识别'}"
    shown = "、".join(unknown[:3]) + ("等" if len(unknown) > 3 else "")
    return f"无法判断：{len(unknown)} 个单元格缺失或无法读取（{shown}）"


def _not_applicable_text(rule: Rule) -> str:
    editions = "、".join(e for e in rule.editions if e != "hybrid")
    kinds = f"；适用机关：{'、'.join(rule.bodies)}" if rule.bodies else ""
    return f"不适用：本规则适用于 {editions} 版格式{kinds}"


# ---------------------------------------------------------------- failure messages


def _failure(rule: Rule, facts: Facts, report: Report, failed: list[Scope]) -> Finding:
    lines, cells, expected, observed, where = [], [], [], [], []
    for scope in failed:
        if scope.identity is not None:
            text, lhs, rhs = identity_text(scope, facts, report)
            expected.append(rhs)
            observed.append(lhs)
            cells.extend(scope.cells)
        elif scope.fact:
            text = fact_text(rule, facts.get(f"{scope.fact}__detail") or "", facts)
        else:
            bad = range_violations(rule, scope.cells, facts)
            text = "；".join(_range_term(c, facts, report) for c in bad)
            cells.extend(bad)
            observed.extend(float(facts[c]) for c in bad)
        lines.append(text)
        where.extend(w for c in scope.cells if (w := _where(c, report, facts)))
    message = "；".join(lines)
    if rule.check.kind == "range":
        message = rule.message.format_map(_Defaults(detail=message))
    return _finding(rule, facts, "fail", message, tuple(dict.fromkeys(cells)), expected=tuple(expected),
                    observed=tuple(observed), locators=tuple(dict.fromkeys(where)), details=tuple(lines))


class _Defaults(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _range_term(cid: str, facts: Facts, report: Report) -> str:
    if cid.startswith("dup."):
        peer = facts.get(f"{cid}__with")
        return f"{cell_label(cid, tables_for(facts))} {facts[cid]:.0%}" + (f"（与“{peer}”）" if peer else "")
    return f"{cell_label(cid, tables_for(facts))} = {_num(facts[cid])}{_at(cid, report, facts)}"


def fact_text(rule: Rule, detail: str, facts: Facts) -> str:
    fields = dict(part.split("=", 1) for part in detail.split(";") if "=" in part)
    values = _Defaults(detail=detail, year=facts.get("year"), body=facts.get("body") or "", **fields)
    return rule.message.format_map(values)


def identity_text(scope: Scope, facts: Facts, report: Report) -> tuple[str, float, float]:
    """表三“总计”列：本年新收 21 + 上年结转 0 ≠ 办理结果总计 20 + 结转下年度 0（相差 1；第5页第20行）"""
    identity = scope.identity
    assert identity is not None
    lhs = sum(facts[c] for c in identity.lhs)
    rhs = sum(facts[c] for c in identity.rhs)
    sign = "<" if identity.relation == "ge" else "≠"
    tables = tables_for(facts)
    head = scope_name(identity.cells, tables)
    left = _terms(identity.lhs, identity.cells, facts, tables)
    sentence = facts.get(f"{identity.lhs[0]}__sentence")
    if sentence:  # a number stated in the prose: quote the sentence it was printed in
        head, left = f"正文“{sentence}”", f"{cell_label(identity.lhs[0], tables)} {_num(lhs)}"
    terms = f"{left} {sign} {_terms(identity.rhs, identity.cells, facts, tables)}"
    where = _where(identity.lhs[0], report, facts)
    gap = f"相差 {_num(abs(lhs - rhs))}" + (f"；{where}" if where else "")
    return f"{head}：{terms}（{gap}）", lhs, rhs


def _terms(cells: tuple[str, ...], all_cells: tuple[str, ...], facts: Facts, tables: dict[str, layout.Table]) -> str:
    """``本年新收 21 + 上年结转 0``; a long sum is shown as its total with the non-zero terms."""
    parts = [(c, facts[c]) for c in cells]
    if len(parts) <= 6:
        return " + ".join(f"{term_label(c, all_cells, tables)} {_num(v)}" for c, v in parts)
    nonzero = "、".join(f"{term_label(c, all_cells, tables)} {_num(v)}" for c, v in parts if v) or "各项均为 0"
    return f"各项之和 {_num(sum(v for _, v in parts))}（{nonzero}，其余为 0）"


def scope_name(cells: tuple[str, ...], tables: dict[str, layout.Table]) -> str:
    return scope_label(cells, tables)


WHERE = "where"  # facts key: cell id → where it was printed (set when the report travels without its cells)


def _where(cell_id: str, report: Report, facts: Facts | None = None) -> str:
    """Where the cell was printed (page/line), from the report's cells or the facts' ``where`` map."""
    printed = facts.get(WHERE) if facts is not None else None
    if printed is not None:
        return printed.get(cell_id, "")
    cell = report.cells.get(cell_id)
    return cell.locator.where if cell and cell.locator else ""


def _at(cell_id: str, report: Report, facts: Facts | None = None) -> str:
    where = _where(cell_id, report, facts)
    return f"（{where}）" if where else ""


def _num(value: float) -> str:
    """A number as printed in a report: whole numbers exactly, decimals without trailing zeros."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def evaluate_bare(report: Report, facts: Facts, rules: list[Rule]) -> list[Finding]:
    """All findings of one report decided in plain Python (no Great Expectations)."""
    from rules.checks import bare_fails

    return [judge(rule, facts, report, bare_fails) for rule in rules]
