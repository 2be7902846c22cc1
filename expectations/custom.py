"""Custom Great Expectations for the annual-report tables (GX Core 1.x).

* ``ExpectCellSumsToBalance`` — row by row (one row = one report): the sum of the first ``n_lhs``
  columns equals (``relation="eq"``) or is at least (``relation="ge"``) the sum of the remaining columns.
  This is what the template's 勾稽关系 say: 一 + 二 = （七） + 四, （七） = Σ outcomes, 总计 = Σ parts.
  Rows with any missing input are ignored (the report is *not assessable* for that identity).
* ``ExpectCellsWithinRange`` — every known value in ``column_list`` lies in [min_value, max_value]
  and, with ``whole=True``, is a whole number. Unknown (NaN) cells are ignored.

Import this module before a suite is built or loaded: a suite that names an expectation class GX does
not know is silently dropped (see stack notes), which is why suites are always rebuilt in code.
"""
from __future__ import annotations

from typing import Literal, Optional

import numpy as np
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.core.expect_column_values_to_be_in_set import ExpectColumnValuesToBeInSet
from great_expectations.expectations.expectation import MulticolumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import MulticolumnMapMetricProvider
from great_expectations.expectations.metrics.map_metric_provider.multicolumn_condition_partial import (
    multicolumn_condition_partial,
)
from great_expectations.render import RenderedStringTemplateContent
from great_expectations.render.components import LegacyRendererType
from great_expectations.render.renderer.renderer import renderer

_DOMAIN_KEYS = ("batch_id", "table", "column_list", "row_condition", "condition_parser", "ignore_row_if")


class CellSumsBalance(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.xxgk_sums_balance"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = ("n_lhs", "tolerance", "relation")

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list, n_lhs, tolerance, relation, **kwargs):  # noqa: ANN001, ANN206, N805
        values = column_list.astype(float)
        lhs = values.iloc[:, :n_lhs].sum(axis=1)
        rhs = values.iloc[:, n_lhs:].sum(axis=1)
        if relation == "ge":
            return lhs >= rhs - tolerance
        return (lhs - rhs).abs() <= tolerance + 1e-9


class CellsWithinRange(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.xxgk_within_range"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = ("min_value", "max_value", "whole", "below")

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list, min_value, max_value, whole, below, **kwargs):  # noqa: ANN001, ANN206, N805
        values = column_list.astype(float)
        ok = values.isna()
        inside = np.ones(values.shape, dtype=bool)
        if min_value is not None:
            inside &= (values >= min_value).to_numpy()
        if max_value is not None:
            inside &= (values <= max_value).to_numpy()
        if whole:
            inside &= (values == values.round()).to_numpy()
        if below is not None:
            inside &= (values < below).to_numpy()
        return (ok.to_numpy() | inside).all(axis=1)


def _rule_text(configuration, runtime_configuration) -> list:  # noqa: ANN001
    """Data Docs line for every xxgk expectation: rule id, title, scope and the clause it enforces."""
    meta = (configuration.meta if configuration else None) or {}
    level = "错误" if meta.get("severity") == "error" else "警示"
    scope = f" —— {meta['scope_label']}" if meta.get("scope_label") else ""
    params = {"rule": meta.get("rule_id", ""), "title": meta.get("title", ""), "basis": meta.get("basis", ""),
              "cells": ", ".join((configuration.kwargs or {}).get("column_list") or
                                 [str((configuration.kwargs or {}).get("column", ""))])}
    template = f"【$rule】$title（{level}）{scope}。依据：$basis。单元格：$cells"
    styling = (runtime_configuration or {}).get("styling")
    return [RenderedStringTemplateContent(content_block_type="string_template",
                                          string_template={"template": template, "params": params,
                                                           "styling": styling})]


class _RuleRendered:
    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(cls, configuration=None, result=None, runtime_configuration=None, **kwargs):  # noqa: ANN001, ANN206
        return _rule_text(configuration, runtime_configuration)


class ExpectReportFact(_RuleRendered, ExpectColumnValuesToBeInSet):
    """Expect a per-report fact (sections complete, contact given …) to be true; unknown facts are skipped."""


class ExpectCellSumsToBalance(_RuleRendered, MulticolumnMapExpectation):
    """Expect, for every report, sum(first n_lhs cells) = sum(remaining cells) (or ≥ with relation="ge")."""

    n_lhs: int
    tolerance: float = 0.0
    relation: Literal["eq", "ge"] = "eq"
    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "any_value_is_missing"

    map_metric = "multicolumn_values.xxgk_sums_balance"
    success_keys = ("mostly", "n_lhs", "tolerance", "relation")
    args_keys = ("column_list", "n_lhs")


class ExpectCellsWithinRange(_RuleRendered, MulticolumnMapExpectation):
    """Expect every known cell of every report to lie within [min_value, max_value] (whole numbers if asked)."""

    min_value: Optional[float] = None
    max_value: Optional[float] = None
    whole: bool = False
    below: Optional[float] = None
    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "all_values_are_missing"

    map_metric = "multicolumn_values.xxgk_within_range"
    success_keys = ("mostly", "min_value", "max_value", "whole", "below")
    args_keys = ("column_list",)
