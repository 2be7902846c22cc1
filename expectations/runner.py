"""Run the compiled suites over one batch (one DataFrame row per report) and read back the verdicts.

One GX file context per run folder (``<run_dir>/gx``), created once and used from one thread. Each suite
(one expectation per rule) is validated by its validation definition over a batch holding ``report_id`` and
the columns that suite reads, all under one run id; Data Docs are built once, after the run's last batch
(``expectations.rundocs``), into the run folder and made safe to open offline (``expectations.docs``).
"""
from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

import numpy as np
import pandas as pd

from expectations.compile import ID_COLUMN, Planned, build_suites, columns, fact_columns, plan, scope_keys, suite_columns
from expectations.assess import report_names, tally
from expectations import suite_cache
from expectations.docs import make_offline
from expectations.site import relative, suite_pages, write_index

if TYPE_CHECKING:
    from expectations.rundocs import RunDocs

Verdicts = dict[tuple[str, str], set[str]]
RESULT_FORMAT = {"result_format": "COMPLETE"}  # never BOOLEAN_ONLY: GX would drop the failing ids


class ValidationError(RuntimeError):
    """Great Expectations could not evaluate an expectation (never read as a pass)."""


@dataclass(frozen=True)
class ValidationOutcome:
    verdicts: Verdicts
    docs_index: Path | None
    n_expectations: int
    results: dict | None = None  # suite name -> its validation result, when Data Docs are built later


def frame(facts: list) -> pd.DataFrame:
    """One row per report: ``report_id``, every numeric column an expectation reads (canonical cells,
    prose numbers, previous-year cells, similarity scores; float, NaN = unknown) and every fact an
    expectation reads (object: True / False / None)."""
    planned = plan()
    cell_ids, fact_ids = columns(planned), fact_columns(planned)
    values = np.array([list(map(f.get, cell_ids)) for f in facts], dtype=float).reshape(len(facts), len(cell_ids))
    df = pd.DataFrame(values, columns=cell_ids)
    df.insert(0, ID_COLUMN, [f["report_id"] for f in facts])
    for name in fact_ids:
        df[name] = pd.Series([f.get(name) for f in facts], dtype=object)
    return df


def validate(df: pd.DataFrame, run_dir: Path, build_docs: bool = True, facts: Sequence[Mapping] | None = None,
             failed: Collection[str] = (), docs: RunDocs | None = None) -> ValidationOutcome:
    """Validate every suite over ``df``; return the failing report ids per scope.

    Each suite's validation definition runs on its own batch: ``report_id`` and the columns that suite's
    expectations read (GX loads and fingerprints a batch per validation, so the other columns would only
    cost time). With ``docs`` (``expectations.rundocs.RunDocs``: the run's Data Docs, built once after its
    last batch) the validations take the run's id and the outcome carries their results for it; else, with
    ``build_docs``, Data Docs are built now, for this run's suites and validations. With ``facts`` (the
    facts ``df`` was made from, ``frame(facts)``) and ``failed`` (ids of reports whose file could not be
    parsed), Data Docs name each report by body, year and file and count, per rule, the reports that could
    not be assessed; without them they show report ids and failures only."""
    import great_expectations as gx

    from expectations.rundocs import RunDocs, run_identifier

    _quiet()
    planned = plan()
    _, definitions = _prepared(gx, run_dir, planned)
    run_id = docs.run_id if docs is not None else run_identifier()
    wanted = suite_columns(planned)
    results = {}
    stored_later = docs is not None or build_docs  # ``RunDocs.build`` stores each suite's result once
    for name, definition in definitions.items():
        batch = _columns(df, wanted[name])
        results[name] = _unstored(definition, batch, run_id) if stored_later else \
            definition.run(batch_parameters={"dataframe": batch}, result_format=RESULT_FORMAT, run_id=run_id)
    verdicts = read_verdicts(results.values(), planned)
    if docs is not None:
        return ValidationOutcome(verdicts, None, len(planned), results)
    index = None
    if build_docs:
        now = RunDocs(run_dir, run_id)
        tallies = tally(df, facts, verdicts, set(failed)) if facts is not None else None
        now.add(results, len(df), tallies, report_names(facts) if facts is not None else None)
        index = now.build()
    return ValidationOutcome(verdicts, index, len(planned))


def _unstored(definition, batch: pd.DataFrame, run_id):  # noqa: ANN001, ANN202 - GX definition, run id → result
    """``definition.run`` over ``batch`` under ``run_id``, without what only a result stored now needs: GX's
    ``run`` reads the definition back from its store to check it is fresh (``_prepared`` stored it) and stores
    the result, which the run's Data Docs store again, merged over its batches, when built (``RunDocs.build``):
    ~0.1 s per suite and batch of 6,000 reports. The result, its ``meta`` included, is ``run``'s."""
    from great_expectations.constants import DATAFRAME_REPLACEMENT_STR
    from great_expectations.validator.v1_validator import Validator

    validator = Validator(batch_definition=definition.batch_definition, batch_parameters={"dataframe": batch},
                          result_format=RESULT_FORMAT)
    results = validator.validate_expectation_suite(definition.suite, None)
    results.meta.update(validation_id=definition.id, checkpoint_id=None, run_id=run_id,
                        validation_time=run_id.run_time, batch_parameters={"dataframe": DATAFRAME_REPLACEMENT_STR})
    return results


_PREPARED: dict[str, tuple] = {}  # the last run folder's context and validation definitions (one entry)


def _prepared(gx, run_dir: Path, planned: list[Planned]):  # noqa: ANN001, ANN202 - GX module; (context, definitions)
    """The run folder's context, with the suites and their validation definitions stored, made once per
    run folder in this process: a run judging in batches validates each batch in the same folder, and
    storing the suites again for every batch cost more than validating it."""
    key = str(Path(run_dir).resolve())
    if key in _PREPARED and (Path(run_dir) / "gx").is_dir():
        return _PREPARED[key]
    context = _context(gx, run_dir)
    batch = _batch_definition(context)
    definitions = {}
    for suite in build_suites(planned).values():
        suite = _add_or_update(context.suites, suite)
        definitions[suite.name] = _add_or_update(context.validation_definitions, gx.ValidationDefinition(
            data=batch, suite=suite, name=f"{suite.name}_batch"))
    _PREPARED.clear()
    _PREPARED[key] = (context, definitions)
    return context, definitions


def _columns(df: pd.DataFrame, wanted: list[str]) -> pd.DataFrame:
    """``df`` narrowed to the wanted columns (a column missing from ``df`` is left for GX to report)."""
    return df[[c for c in wanted if c in df.columns]]


def _quiet() -> None:
    for name in ("great_expectations", "great_expectations.core", "great_expectations.data_context"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _context(gx, run_dir: Path):  # noqa: ANN001, ANN202 - GX module and context
    from great_expectations.data_context.types.base import ProgressBarsConfig

    run_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(run_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.variables.data_docs_sites = _sites(context.list_data_docs_sites())
    context.variables.save()
    _no_config_variables(run_dir / "gx" / "uncommitted" / "config_variables.yml")
    return context


def _sites(sites: dict) -> dict:
    """The local Data Docs site rendered with ``expectations.views`` (GX's views, sharing compiled templates)."""
    page = {"module_name": "expectations.views", "class_name": "PageView"}
    local = dict(sites.get("local_site") or {})
    if local:
        local["show_how_to_buttons"] = False  # GX's tutorial footer (links to the internet)
        local["site_section_builders"] = {"expectations": {"view": dict(page)}, "validations": {"view": dict(page)}}
        local["site_index_builder"] = {**(local.get("site_index_builder") or {"class_name": "DefaultSiteIndexBuilder"}),
                                       "view": {**page, "class_name": "IndexPageView"}}
    return {**sites, "local_site": local} if local else sites


def _no_config_variables(path: Path) -> None:
    """GX re-reads (YAML-parses) ``config_variables.yml`` every time it resolves a store name or a context
    variable — a few hundred times per run. The file GX writes holds its explanatory comment block and the
    context's ``instance_id`` (for analytics, which are off); without the file GX reads no variables (an
    absent file is what it expects when none were set) and keeps the instance id in memory."""
    path.unlink(missing_ok=True)


def _add_or_update(factory, item):  # noqa: ANN001, ANN202 - a GX factory and the object to store
    """``add`` for a fresh context (the common case: one context per run folder); ``add_or_update`` when
    the folder already holds an object of that name."""
    try:
        factory.get(item.name)
    except Exception:  # noqa: BLE001 - GX raises DataContextError / ValueError / KeyError by factory
        return factory.add(item)
    return factory.add_or_update(item)


def _batch_definition(context):  # noqa: ANN001, ANN202
    source = context.data_sources.add_or_update_pandas("reports")
    asset = next((a for a in source.assets if a.name == "batch"), None) or source.add_dataframe_asset("batch")
    existing = next((b for b in asset.batch_definitions if b.name == "whole_batch"), None)
    return existing or asset.add_batch_definition_whole_dataframe("whole_batch")


def read_verdicts(results, planned: list[Planned]) -> Verdicts:  # noqa: ANN001 - suite validation results
    """Failing report ids per (rule id, scope key); an expectation that raised, or a scope GX returned no
    verdict for, is an error, never a pass."""
    expected = scope_keys(planned)
    verdicts: Verdicts = {}
    for run in results:
        for item in run.results:
            rule_id = (item.expectation_config.meta or {}).get("rule_id")
            info = item.exception_info or {}
            if info.get("raised_exception"):
                raise ValidationError(f"{rule_id}: {info.get('exception_message')}")
            for scope, ids in ((item.result or {}).get("unexpected_by_scope") or {}).items():
                verdicts.setdefault((rule_id, scope), set()).update(str(i) for i in ids)
    missing = [key for key in expected if key not in verdicts]
    if missing:
        raise ValidationError(f"no verdict from Great Expectations for {missing[:5]}")
    return {key: verdicts[key] for key in expected}


def _result_key(result):  # noqa: ANN001, ANN202 - a suite validation result → its store key
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    return ValidationResultIdentifier(expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
                                      run_id=result.meta["run_id"], batch_identifier=result.batch_id)


def _build_docs(context, results: dict, run_id, run_dir: Path, n_reports: int,  # noqa: ANN001
                assessed: bool, planned: list[Planned]) -> Path | None:
    """Data Docs for this run's validations and suites, built once (not once per suite), with our own index
    page (every validation and suite of the run, linked: GX's own index is not rendered), then made offline.
    A suite's page this process rendered before for the same suites is written as it was (``suite_cache``)."""
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    site_dir = run_dir / "gx" / "uncommitted" / "data_docs" / "local_site"
    key = suite_cache.digest(planned)
    known = suite_cache.write_known(site_dir, key, results)
    identifiers, pages = [], {}
    for name, result in results.items():
        suite, validation = ExpectationSuiteIdentifier(name=name), _result_key(result)
        identifiers += [validation] if name in known else [suite, validation]
        pages[name] = (validation, suite)
    context.build_data_docs(resource_identifiers=identifiers, build_index=False)
    if not site_dir.is_dir():
        return None
    sites = _site_builders(context)
    found = {name: tuple(_page(sites, site_dir, key) for key in keys) for name, keys in pages.items()}
    write_index(site_dir, suite_pages(results, found), run_id.run_time, n_reports, assessed)
    make_offline(site_dir, done=known.values())
    suite_cache.remember(site_dir, key, results)
    return site_dir / "index.html"


def _site_builders(context) -> list:  # noqa: ANN001 - a GX context; its sites' builders
    """The context's Data Docs sites' builders, made once (``context.get_docs_sites_urls`` makes them again for
    every page asked about: a quarter of building a small night's Data Docs)."""
    return [context._load_site_builder_from_site_config(config)  # noqa: SLF001 - what get_docs_sites_urls does
            for config in (context.variables.data_docs_sites or {}).values()]


def _page(sites: list, site_dir: Path, identifier) -> str | None:  # noqa: ANN001
    """The page GX wrote for ``identifier``, relative to the site folder (None when it wrote none), as
    ``context.get_docs_sites_urls`` finds it: the first site's that exists."""
    for builder in sites:
        url = builder.get_resource_url(resource_identifier=identifier, only_if_exists=True) or ""
        if url.startswith("file://"):
            return relative(Path(unquote(url[len("file://"):])), site_dir)
    return None
