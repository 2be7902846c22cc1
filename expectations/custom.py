"""Custom Great Expectations for the annual-report tables (GX Core 1.x).

One expectation per rule; it decides every *scope* of the rule over the whole batch (one row = one
report) in one vectorised metric and returns the failing ``report_id`` values per scope:

* ``ExpectCellSumsToBalance`` — for each scope (an identity ``lhs``/``rhs``), row by row: the sum of the
  ``lhs`` cells equals (``relation="eq"``, within ``tolerance``) or is at least (``relation="ge"``) the sum
  of the ``rhs`` cells. This is what the template's 勾稽关系 say: 一 + 二 = （七） + 四, （七） = Σ outcomes,
  总计 = Σ parts. Rows with any missing input of a scope are ignored for that scope (not assessable).
* ``ExpectCellsWithinRange`` — every known value in ``column_list`` lies in [min_value, max_value], is a
  whole number with ``whole=True``, and is below ``below`` when given. Unknown (NaN) cells are ignored.
* ``ExpectReportFact`` — a per-report fact (sections complete, contact given …) is in ``value_set``
  (``[True]``); unknown (null) facts are ignored.

The metrics (``xxgk.*_failures``) are table metrics: they read only the columns their rule names, with
numpy, and return ``{scope key: [failing report ids]}``; the expectation's ``_validate`` turns that into
success and a result listing every failing report per scope (``unexpected_by_scope``).
Data Docs render the rule (id, title, severity, basis, scopes and cells), its status as text (不通过 /
无法判断 / 通过 / 不适用), the number of reports of each status, and the first failing and not assessable
reports named by body, year and file (``expectations.site.annotate`` puts them with the result; the stored
result keeps every failing id in ``unexpected_by_scope``).

Import this module before a suite is built or loaded: a suite that names an expectation class GX does
not know is silently dropped (see stack notes), which is why suites are always rebuilt in code.
"""
from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Literal, Optional, Tuple

import numpy as np
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import BatchExpectation
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider
from great_expectations.render import (
    LegacyDiagnosticRendererType,
    RenderedBulletListContent,
    RenderedStringTemplateContent,
    RenderedTableContent,
)
from great_expectations.render.components import LegacyRendererType
from great_expectations.render.renderer.renderer import renderer

from expectations.compile import parse_sum



# ---------------------------------------------------------------- metrics


def _table(execution_engine, metric_domain_kwargs):  # noqa: ANN001, ANN202
    df, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
    return df


def _ids(df, id_column: str, failing: np.ndarray) -> list[str]:  # noqa: ANN001
    return [str(v) for v in df[id_column].to_numpy()[failing]]


def _matrix(df, columns: list[str]) -> np.ndarray:  # noqa: ANN001
    """The columns as one float matrix, one column per name (a copy of just these columns)."""
    return df[columns].to_numpy(dtype=float)


def _total(values: np.ndarray, positions: list[int]) -> np.ndarray:
    """Row sums of the given columns, added in order (as ``sum`` and the bare engine add them)."""
    total = np.zeros(values.shape[0])
    for pos in positions:
        total = total + values[:, pos]
    return total


class CellSumsFailures(TableMetricProvider):
    """Per identity scope, the reports whose known inputs break ``sum(lhs) = sum(rhs)`` (or ``>=``)."""

    metric_name = "xxgk.balance_failures"
    value_keys = ("scopes", "tolerance", "relation", "id_column")

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics,  # noqa: ANN001, ANN206, N805
                runtime_configuration):
        df = _table(execution_engine, metric_domain_kwargs)
        scopes = {key: parse_sum(text) for key, text in metric_value_kwargs["scopes"].items()}
        tolerance = float(metric_value_kwargs["tolerance"])
        columns = list(dict.fromkeys(c for lhs, rhs in scopes.values() for c in (*lhs, *rhs)))
        values = _matrix(df, columns)
        position = {c: i for i, c in enumerate(columns)}
        missing = np.isnan(values)
        out: dict[str, list[str]] = {}
        for key, (lhs_cells, rhs_cells) in scopes.items():
            lhs_pos = [position[c] for c in lhs_cells]
            rhs_pos = [position[c] for c in rhs_cells]
            known = ~missing[:, lhs_pos + rhs_pos].any(axis=1)  # a missing input: not assessable, never a fail
            lhs, rhs = _total(values, lhs_pos), _total(values, rhs_pos)
            with np.errstate(invalid="ignore"):
                if metric_value_kwargs["relation"] == "ge":
                    holds = lhs >= rhs - tolerance
                else:
                    holds = np.abs(lhs - rhs) <= tolerance + 1e-9
            out[key] = _ids(df, metric_value_kwargs["id_column"], known & ~holds)
        return out


class CellsWithinRangeFailures(TableMetricProvider):
    """The reports with a known cell outside [min_value, max_value] (or not whole, or not below)."""

    metric_name = "xxgk.range_failures"
    value_keys = ("column_list", "min_value", "max_value", "whole", "below", "id_column")

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics,  # noqa: ANN001, ANN206, N805
                runtime_configuration):
        df = _table(execution_engine, metric_domain_kwargs)
        kw = metric_value_kwargs
        values = _matrix(df, list(kw["column_list"]))
        inside = np.ones(values.shape, dtype=bool)
        with np.errstate(invalid="ignore"):
            if kw["min_value"] is not None:
                inside &= values >= kw["min_value"]
            if kw["max_value"] is not None:
                inside &= values <= kw["max_value"]
            if kw["whole"]:
                inside &= values == np.round(values)
            if kw["below"] is not None:
                inside &= values < kw["below"]
        failing = (~np.isnan(values) & ~inside).any(axis=1)  # unknown cells are ignored
        return _ids(df, kw["id_column"], failing)


class ReportFactFailures(TableMetricProvider):
    """The reports whose (known) fact is not in ``value_set``."""

    metric_name = "xxgk.fact_failures"
    value_keys = ("column", "value_set", "id_column")

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics,  # noqa: ANN001, ANN206, N805
                runtime_configuration):
        df = _table(execution_engine, metric_domain_kwargs)
        column = df[metric_value_kwargs["column"]]
        failing = column.notna() & ~column.isin(list(metric_value_kwargs["value_set"]))  # null = unknown
        return _ids(df, metric_value_kwargs["id_column"], failing.to_numpy(dtype=bool))


# ---------------------------------------------------------------- Data Docs


def _meta(configuration) -> dict:  # noqa: ANN001
    return (configuration.meta if configuration is not None else None) or {}


def _scope_lines(configuration) -> list[str]:  # noqa: ANN001
    """One line per scope: its label and what it checks (cells, or the fact)."""
    kwargs = (configuration.kwargs if configuration is not None else None) or {}
    labels = _meta(configuration).get("scopes") or {}
    if "scopes" in kwargs:
        sign = "≥" if kwargs.get("relation") == "ge" else "="
        return [f"{labels.get(key) or key}：{' + '.join(lhs)} {sign} {' + '.join(rhs) or '0'}"
                for key, (lhs, rhs) in ((k, parse_sum(t)) for k, t in kwargs["scopes"].items())]
    if "column_list" in kwargs:
        return ["单元格：" + ", ".join(kwargs["column_list"])]
    return [f"报告事实：{kwargs.get('column', '')}"]


def _text(template: str, params: dict, styling: dict | None = None) -> RenderedStringTemplateContent:
    """A string block; every value goes in ``params``, which the view HTML-escapes."""
    return RenderedStringTemplateContent(content_block_type="string_template",
                                         string_template={"template": template, "params": params,
                                                          "styling": styling or {}})


def _rule_text(configuration, runtime_configuration) -> list:  # noqa: ANN001
    """Data Docs text of every xxgk expectation: rule id, title, severity, basis, then one line per scope."""
    meta = _meta(configuration)
    level = "错误" if meta.get("severity") == "error" else "警示"
    styling = (runtime_configuration or {}).get("styling")
    head = _text(f"【$rule】$title（{level}）。依据：$basis",
                 {"rule": meta.get("rule_id", ""), "title": meta.get("title", ""), "basis": meta.get("basis", "")},
                 styling)
    lines = [_text("$line", {"line": line}) for line in _scope_lines(configuration)]
    return [head, RenderedBulletListContent(bullet_list=lines)]


def _ours(result) -> dict:  # noqa: ANN001
    """What ``expectations.site.annotate`` stored with the result (empty for a result it did not see)."""
    return ((result.meta or {}).get("xxgk") or {}) if result is not None else {}


def _raised(result) -> bool:  # noqa: ANN001
    return result is not None and bool((result.exception_info or {}).get("raised_exception"))


def _status(result) -> str:  # noqa: ANN001
    if _raised(result):
        return "error"
    return _ours(result).get("status") or ("pass" if result is not None and result.success else "fail")


STATUS_TEXT = {"fail": "不通过", "not_assessable": "无法判断", "pass": "通过", "not_applicable": "不适用",
               "error": "出错：未能核对"}
COUNT_TEXT = (("fail", "不符"), ("not_assessable", "无法判断"), ("pass", "通过"), ("not_applicable", "不适用"))


def _counts(result) -> list[tuple[str, str]]:  # noqa: ANN001
    counts = _ours(result).get("counts") or {"fail": (result.result or {}).get("unexpected_count", 0)}
    return [(text, str(counts[key])) for key, text in COUNT_TEXT if key in counts]


def _failing_count(result) -> int:  # noqa: ANN001
    """The reports failing the rule: as counted from the findings (``meta["xxgk"]``), else as GX found."""
    if result is None:
        return 0
    counts = _ours(result).get("counts") or {}
    return int(counts["fail"] if "fail" in counts else (result.result or {}).get("unexpected_count") or 0)


def _names_table(header: list[str], rows: list[list[str]]) -> RenderedTableContent:
    return RenderedTableContent(content_block_type="table", header_row=header,
                                table=[[_text("$v", {"v": value}) for value in row] for row in rows],
                                styling={"body": {"classes": ["table-bordered", "table-sm", "xxgk-names"]}})


def _more(total: int, shown: int, where: str) -> list:
    if total <= shown:
        return []
    return [_text("…… 另有 $n 份未列出（$where）", {"n": str(total - shown), "where": where})]


class _RuleRendered:
    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(cls, configuration=None, result=None, runtime_configuration=None, **kwargs):  # noqa: ANN001, ANN206
        if configuration is None and result is not None:
            configuration = result.expectation_config
        return _rule_text(configuration, runtime_configuration)

    @classmethod
    @renderer(renderer_type=LegacyDiagnosticRendererType.STATUS_ICON)
    def _diagnostic_status_icon_renderer(cls, configuration=None, result=None, runtime_configuration=None,  # noqa: ANN001, ANN206
                                         **kwargs):
        """The rule's status as text in a coloured box (GX's icons need a web font and scripts)."""
        status = _status(result)
        return _text("$status", {"status": STATUS_TEXT[status]},
                     {"params": {"status": {"tag": "span", "classes": ["xxgk-badge", f"xxgk-{status}"]}}})

    @classmethod
    @renderer(renderer_type=LegacyDiagnosticRendererType.OBSERVED_VALUE)
    def _diagnostic_observed_value_renderer(cls, configuration=None, result=None, runtime_configuration=None,  # noqa: ANN001, ANN206
                                            **kwargs):
        if result is None or _raised(result) or "unexpected_count" not in (result.result or {}):
            return "--"
        lines = [*_counts(result), ("共", str(result.result.get("element_count", "")))]
        template = "<br>".join(f"{text} ${n} 份" for n, (text, _) in enumerate(lines))  # our words, escaped values
        return _text(template.replace("$", "$n"), {f"n{n}": value for n, (_, value) in enumerate(lines)},
                     {"classes": ["xxgk-counts"]})

    @classmethod
    @renderer(renderer_type=LegacyDiagnosticRendererType.UNEXPECTED_STATEMENT)
    def _diagnostic_unexpected_statement_renderer(cls, configuration=None, result=None,  # noqa: ANN001, ANN206
                                                  runtime_configuration=None, **kwargs):
        if _raised(result):
            return super()._diagnostic_unexpected_statement_renderer(result=result)
        counts = _ours(result).get("counts") or {}
        lines = []
        failing = _failing_count(result)
        if failing:
            lines.append(_text("$n 份报告不符合本规则（见下表：机关、年度、文件、不符的范围）",
                               {"n": str(failing)}, {"classes": ["text-danger"]}))
        if counts.get("not_assessable"):
            lines.append(_text("$n 份报告无法判断：所需的数字或内容缺失、无法读取，或机关类别未知",
                               {"n": str(counts["not_assessable"])}, {"classes": ["xxgk-warn"]}))
        return lines

    @classmethod
    @renderer(renderer_type=LegacyDiagnosticRendererType.UNEXPECTED_TABLE)
    def _diagnostic_unexpected_table_renderer(cls, configuration=None, result=None,  # noqa: ANN001, ANN206
                                              runtime_configuration=None, **kwargs):
        if result is None or _raised(result):
            return None
        ours, blocks = _ours(result), []
        failing = ours.get("failing") or []
        if failing:
            total = _failing_count(result) or len(failing)
            blocks += [_names_table(["不符的报告：机关", "年度", "文件", "report_id（sha256）", "不符的范围"], failing),
                       *_more(total, len(failing), "完整名单见本次验证结果 JSON 的 unexpected_by_scope，"
                                                   "逐份问题见审核清单")]
        unassessed = ours.get("not_assessable") or []
        if unassessed:
            total = int((ours.get("counts") or {}).get("not_assessable") or len(unassessed))
            blocks += [_names_table(["无法判断的报告：机关", "年度", "文件", "report_id（sha256）"], unassessed),
                       *_more(total, len(unassessed), "逐份原因见审核清单与待核实清单")]
        return blocks or None


class _RuleExpectation(_RuleRendered, BatchExpectation):
    """Shared: one metric per expectation, returning the failing report ids per scope."""

    id_column: str = "report_id"
    domain_keys: ClassVar[Tuple[str, ...]] = ("batch_id",)

    def _failing(self, metrics: dict) -> dict[str, list[str]]:
        """Scope key → failing report ids, read from this expectation's metric (each subclass says how)."""
        raise NotImplementedError

    def _validate(self, metrics: Dict, runtime_configuration: Optional[dict] = None, execution_engine=None):  # noqa: ANN001
        failing = self._failing(metrics)
        reports = set().union(*failing.values()) if failing else set()
        return {"success": not reports,
                "result": {"observed_value": len(reports), "element_count": metrics["table.row_count"],
                           "unexpected_count": len(reports), "unexpected_by_scope": failing}}


class ExpectCellSumsToBalance(_RuleExpectation):
    """Expect, for every report and every scope, sum(lhs cells) = sum(rhs cells) (or ≥ with relation="ge")."""

    scopes: Dict[str, str]  # scope key -> "lhs + lhs = rhs + rhs" (cell ids)
    tolerance: float = 0.0
    relation: Literal["eq", "ge"] = "eq"

    metric_dependencies = ("xxgk.balance_failures", "table.row_count")
    success_keys = ("scopes", "tolerance", "relation", "id_column")
    args_keys = ("scopes",)

    def _failing(self, metrics: dict) -> dict[str, list[str]]:
        return metrics["xxgk.balance_failures"]


class ExpectCellsWithinRange(_RuleExpectation):
    """Expect every known cell of every report to lie within [min_value, max_value] (whole numbers if asked)."""

    column_list: List[str]
    scope: str  # the scope key the verdict is reported under
    min_value: Optional[float] = None
    max_value: Optional[float] = None
    whole: bool = False
    below: Optional[float] = None

    metric_dependencies = ("xxgk.range_failures", "table.row_count")
    success_keys = ("column_list", "min_value", "max_value", "whole", "below", "id_column")
    args_keys = ("column_list",)

    def _failing(self, metrics: dict) -> dict[str, list[str]]:
        return {self.scope: metrics["xxgk.range_failures"]}


class ExpectReportFact(_RuleExpectation):
    """Expect a per-report fact (sections complete, contact given …) to be true; unknown facts are skipped."""

    column: str
    scope: str  # the scope key the verdict is reported under
    value_set: List[Any] = [True]

    metric_dependencies = ("xxgk.fact_failures", "table.row_count")
    success_keys = ("column", "value_set", "id_column")
    args_keys = ("column",)

    def _failing(self, metrics: dict) -> dict[str, list[str]]:
        return {self.scope: metrics["xxgk.fact_failures"]}
