"""Run the compiled suites over one batch (one DataFrame row per report) and read back the verdicts.

One GX file context per run folder (``<run_dir>/gx``), created once and used from one thread; one
checkpoint validates every suite against the same batch; Data Docs are built into the run folder and
made safe to open offline (``expectations.docs``).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from expectations.compile import Planned, build_suites, columns, plan
from expectations.docs import make_offline
from rules import layout
from rules.facts import FACT_NAMES, Facts

Verdicts = dict[tuple[str, str], set[str]]


class ValidationError(RuntimeError):
    """Great Expectations could not evaluate an expectation (never read as a pass)."""


@dataclass(frozen=True)
class ValidationOutcome:
    verdicts: Verdicts
    docs_index: Path | None
    n_expectations: int


def frame(facts: list[Facts]) -> pd.DataFrame:
    """One row per report: ``report_id``, every column an expectation reads (canonical cells, prose
    numbers, previous-year cells, similarity scores; float, NaN = unknown) and every fact."""
    cell_ids = list(dict.fromkeys([*layout.all_cell_ids(), *columns(plan())]))
    data = {"report_id": [f["report_id"] for f in facts]}
    for cid in cell_ids:
        data[cid] = [f.get(cid) for f in facts]
    for name in FACT_NAMES:
        data[name] = [f.get(name) for f in facts]
    df = pd.DataFrame(data)
    df[cell_ids] = df[cell_ids].astype(float)
    for name in FACT_NAMES:
        df[name] = df[name].astype(object)
    return df


def validate(df: pd.DataFrame, run_dir: Path, build_docs: bool = True) -> ValidationOutcome:
    """Validate every suite over ``df`` in one checkpoint; return the failing report ids per scope."""
    import great_expectations as gx

    _quiet()
    context = _context(gx, run_dir)
    planned = plan()
    suites = [context.suites.add_or_update(s) for s in build_suites(planned).values()]
    batch = _batch_definition(context)
    definitions = [context.validation_definitions.add_or_update(
        gx.ValidationDefinition(data=batch, suite=suite, name=f"{suite.name}_batch")) for suite in suites]
    actions = [gx.checkpoint.UpdateDataDocsAction(name="data_docs")] if build_docs else []
    checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
        name="xxgk_nightly", validation_definitions=definitions, actions=actions,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["report_id"]}))
    result = checkpoint.run(batch_parameters={"dataframe": df})
    verdicts = read_verdicts(result, planned)
    docs = _docs_index(run_dir) if build_docs else None
    if docs:
        make_offline(docs.parent)
    return ValidationOutcome(verdicts, docs, len(planned))


def _quiet() -> None:
    for name in ("great_expectations", "great_expectations.core", "great_expectations.data_context"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _context(gx, run_dir: Path):  # noqa: ANN001, ANN202 - GX module and context
    from great_expectations.data_context.types.base import ProgressBarsConfig

    run_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(run_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.variables.save()
    return context


def _batch_definition(context):  # noqa: ANN001, ANN202
    source = context.data_sources.add_or_update_pandas("reports")
    asset = next((a for a in source.assets if a.name == "batch"), None) or source.add_dataframe_asset("batch")
    existing = next((b for b in asset.batch_definitions if b.name == "whole_batch"), None)
    return existing or asset.add_batch_definition_whole_dataframe("whole_batch")


def read_verdicts(result, planned: list[Planned]) -> Verdicts:  # noqa: ANN001 - CheckpointResult
    """Failing report ids per (rule id, scope key); an expectation that raised is an error, never a pass."""
    verdicts: Verdicts = {(p.meta["rule_id"], p.meta["scope"]): set() for p in planned}
    for run in result.run_results.values():
        for item in run.results:
            meta = item.expectation_config.meta or {}
            key = (meta.get("rule_id"), meta.get("scope"))
            info = item.exception_info or {}
            if info.get("raised_exception"):
                raise ValidationError(f"{key}: {info.get('exception_message')}")
            rows = (item.result or {}).get("unexpected_index_list") or []
            verdicts.setdefault(key, set()).update(str(r["report_id"]) for r in rows)
    return verdicts


def _docs_index(run_dir: Path) -> Path | None:
    index = run_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    return index if index.exists() else None
