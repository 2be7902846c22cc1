"""Facts that need more than one report: the same body's previous-year report (``prev.*``) and how much
of a report's text is shared with that report or with another body's report of the same year (``dup.*``).

Bodies are identified by their register id, else by their printed name without suffix and without the
name of the city it sits in (洪泽区人民政府 and 淮安市洪泽区人民政府 are one body).
"""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from functools import cache

import numpy as np

from parsing.model import Report
from rules.arithmetic import PREV
from rules.facts import Facts
from rules.register import normal_name
from rules.shingles import NOISE, SHINGLE, shingles, shingles_of  # noqa: F401 - SHINGLE: this module's API

_SPLIT = re.compile(r"[。；;！!？?]+")
_NOISE = NOISE
MIN_SENTENCE = 8
BOILERPLATE_SHARE = 20  # a sentence found in more reports than this is boilerplate, not copying


def body_key(name: str | None, body_id: str | None = None) -> str | None:
    """The identity of a body across years: its register id, else its normalised printed name."""
    if body_id:
        return f"id:{body_id}"
    if not name:
        return None
    return "name:" + normal_name(name)


def add_cross_facts(reports: list[Report], facts: list[Facts], judged: Sequence[bool] | None = None,
                    common: Collection[tuple[int | None, int, int]] | None = None) -> None:
    """Add ``prev.<cell>`` (previous-year values of the same body) and ``dup.*`` similarity facts.

    The batch is in the run's order (the order of the files found). ``judged`` says, per report, whether
    its cross facts are wanted (default: all); the others are context the judged ones read (a previous
    year, a peer sharing a sentence), completed no further. ``common``: the sentences (year, section,
    ``sentence_key``) that are boilerplate among all reports of the run, when the batch holds only the
    reports that matter to the judged ones (an incremental run)."""
    judged = list(judged) if judged is not None else [True] * len(facts)
    keys = [body_key(f.get("body"), f.get("body_id")) for f in facts]
    texts = {n: [_own_text(r, f, n) for r, f in zip(reports, facts)] for n in SIMILARITY_SECTIONS}
    pieces = {n: {i: f[f"pieces.s{n}"] for i, f in enumerate(facts) if f"pieces.s{n}" in f} for n in SIMILARITY_SECTIONS}
    previous = _previous_reports(facts, keys)
    for n in SIMILARITY_SECTIONS:
        _add_pieces(texts[n], pieces[n], _compared_with_previous(texts[n], previous, judged))
    for i, (f, prev) in enumerate(zip(facts, previous)):
        if not judged[i]:
            continue
        _add_previous(f, facts[prev] if prev is not None else None)
        for n in SIMILARITY_SECTIONS:
            both = prev is not None and texts[n][i] and texts[n][prev]
            f[f"dup.prev_s{n}"] = containment(_pieces(i, texts[n], pieces[n]), _pieces(prev, texts[n], pieces[n])) \
                if both else None
    _add_peer_similarity(texts, facts, pieces, keys, judged, common)


def _previous_reports(facts: list[Facts], keys: list[str | None]) -> list[int | None]:
    """Per report, the index of the same body's report of the previous year (the first one), if any."""
    by_key: dict[tuple[str, int], int] = {}
    for i, (f, key) in enumerate(zip(facts, keys)):
        if key and f.get("year"):
            by_key.setdefault((key, int(f["year"])), i)
    return [by_key.get((key, int(f["year"]) - 1)) if key and f.get("year") else None for f, key in zip(facts, keys)]


SIMILARITY_SECTIONS = (1, 5)


def own_texts(report: Report) -> dict:
    """``text.s1`` / ``text.s5``: the sections compared for copying, without the body's own name,
    ``pieces.s1`` / ``pieces.s5`` their shingles and ``sents.s1`` / ``sents.s5`` their sentences
    (``sentence_keys``): per-report facts, computed where the report is parsed."""
    texts = {n: _section_text(report, n) for n in SIMILARITY_SECTIONS}
    out: dict = {f"text.s{n}": text for n, text in texts.items()}
    out.update({f"pieces.s{n}": shingles(text) for n, text in texts.items() if text})
    out.update({f"sents.s{n}": sentence_keys(text) for n, text in texts.items() if text})
    return out


def sentence_keys(text: str) -> dict[int, int]:
    """``sentences`` keyed by a stable signed 64-bit hash of each sentence (the same in every process and
    every run: the warehouse keeps them, ``report_sentences``, to find the reports sharing a sentence)."""
    return {_sentence_key(s): n for s, n in sentences(text).items()}


def _sentence_key(sentence: str) -> int:
    return int.from_bytes(hashlib.blake2b(sentence.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


def report_sentence_keys(facts: Facts, number: int) -> dict[int, int]:
    """A report's sentences of section ``number`` (``sents.s<n>``, else from its section text)."""
    found = facts.get(f"sents.s{number}")
    if found is None:
        text = facts.get(f"text.s{number}")
        found = sentence_keys(text) if text else {}
    return found


def _own_text(report: Report, f: Facts, number: int) -> str | None:
    key = f"text.s{number}"
    return f[key] if key in f else _section_text(report, number)


@cache
def previous_cells() -> tuple[str, ...]:
    """The cells whose previous-year value some rule reads (``prev.<cell>`` facts)."""
    from rules.checks import all_scope_cells

    return tuple(sorted(c[len(PREV):] for c in all_scope_cells() if c.startswith(PREV)))


@cache
def _previous_names() -> tuple[str, ...]:
    """``prev.<cell>`` for each of ``previous_cells()``."""
    return tuple(PREV + cid for cid in previous_cells())


def _add_previous(f: Facts, prev: Facts | None) -> None:
    f.update(zip(_previous_names(), map(prev.get, previous_cells())) if prev else dict.fromkeys(_previous_names()))
    f["prev.report_id"] = prev.get("report_id") if prev else None


def sentences(text: str) -> dict[str, int]:
    """Normalised sentences (no digits, spaces or punctuation) → length."""
    out: dict[str, int] = {}
    for clean in _SPLIT.split(_NOISE.sub("", text)):  # the noise holds no sentence end: clean once, then split
        if len(clean) >= MIN_SENTENCE:
            out[clean] = len(clean)
    return out


def _strip_names(text: str, names: Iterable[str]) -> str:
    text = re.sub(r"[\s\u00a0\u3000]+", "", text)
    for name in names:
        if name:
            text = text.replace(name, "")
    return text


def containment(own: np.ndarray, other: np.ndarray) -> float | None:
    """Share of ``own``'s pieces that ``other`` also has (1.0 = all of it copied)."""
    return len(np.intersect1d(own, other, assume_unique=True)) / len(own) if len(own) else None


def _names(report: Report) -> list[str]:
    name = report.body or ""
    return sorted({name, normal_name(name)} - {""}, key=len, reverse=True)


def _section_text(report: Report, number: int) -> str | None:
    section = report.section(number)
    return _strip_names(section.text, _names(report)) if section else None


def _add_peer_similarity(texts: dict[int, list[str | None]], facts: list[Facts],
                         pieces: dict[int, dict[int, np.ndarray]], keys: list[str | None], judged: list[bool],
                         common: Collection[tuple[int | None, int, int]] | None) -> None:
    """Best containment in another body's report of the same year. Candidates are the reports sharing
    whole sentences that are not boilerplate (found in more than ``BOILERPLATE_SHARE`` reports); the exact
    8-character containment is computed only for those sharing at least ``CANDIDATE_SHARE`` of the text."""
    for number in SIMILARITY_SECTIONS:
        sents = [_sentences_of(f, t, number) for f, t in zip(facts, texts[number])]
        owners: dict[tuple[int | None, int], list[int]] = defaultdict(list)
        for i, own in enumerate(sents):
            year = facts[i].get("year")
            for s in own:
                owners[(year, s)].append(i)
        shared_by = _Boilerplate(owners, number, common)
        for i, text in enumerate(texts[number]):
            if not judged[i]:
                continue
            score, peer = _best_peer(i, texts[number], sents, shared_by, facts, keys, pieces[number]) if text \
                else (None, None)
            facts[i][f"dup.peer_s{number}"], facts[i][f"dup.peer_s{number}__with"] = score, peer


def _sentences_of(facts: Facts, text: str | None, number: int) -> dict[int, int]:
    """The report's sentences of section ``number``: as the parser (or the warehouse, ``report_sentences``)
    gave them — none for an empty text —, else from its text."""
    found = facts.get(f"sents.s{number}")
    if found is not None:
        return found
    return sentence_keys(text) if text else {}


class _Boilerplate:
    """The holders of a sentence in the batch, or none when it is boilerplate (more than
    ``BOILERPLATE_SHARE`` holders in the batch, or among all reports of the run: ``common``)."""

    def __init__(self, owners: dict, number: int, common: Collection | None) -> None:
        self.owners, self.number, self.common = owners, number, common or ()

    def holders(self, year: int | None, sentence: int) -> list[int]:
        found = self.owners[(year, sentence)]
        if len(found) > BOILERPLATE_SHARE or (year, self.number, sentence) in self.common:
            return []
        return found


CANDIDATE_SHARE = 0.3


def _best_peer(i: int, texts: list, sents: list, shared_by: _Boilerplate, facts: list[Facts], keys: list,
               pieces: dict[int, np.ndarray]) -> tuple[float | None, str | None]:
    """The peer's score and name. Ties go to the earliest report in the run's order (whatever part of the
    run the batch holds, the same report is chosen)."""
    shared: dict[int, int] = defaultdict(int)
    year, key = facts[i].get("year"), keys[i]
    for s, n in sents[i].items():
        for j in shared_by.holders(year, s):
            if j != i and keys[j] != key:
                shared[j] += n
    total = sum(sents[i].values()) or 1
    close = [j for j, n in sorted(shared.items()) if n / total >= CANDIDATE_SHARE]
    if not close:
        best = max(sorted(shared), key=shared.__getitem__, default=None)
        return (shared[best] / total, facts[best].get("body")) if best is not None else (0.0, None)
    own = _pieces(i, texts, pieces)
    score, j = max(((containment(own, _pieces(j, texts, pieces)) or 0.0), -j) for j in close)
    return score, facts[-j].get("body")


def _compared_with_previous(texts: list, previous: list[int | None], judged: Sequence[bool]) -> list[int]:
    """The reports whose texts DUP-PREVIOUS compares: each judged report with a text and a previous year
    with one, and that previous year."""
    pairs = [(i, prev) for i, prev in enumerate(previous) if judged[i] and prev is not None and texts[i]
             and texts[prev]]
    return sorted({n for pair in pairs for n in pair})


def _add_pieces(texts: list, pieces: dict[int, np.ndarray], wanted: list[int]) -> None:
    """The shingles of the ``wanted`` texts at hand (not those read from the warehouse only when wanted)
    not known yet, computed together (``shingles_of``); the peers' are computed when a peer is close."""
    missing = [i for i in wanted if i not in pieces and isinstance(texts[i], str) and texts[i]]
    pieces.update(zip(missing, shingles_of([texts[i] for i in missing])))


def _pieces(i: int, texts: list, pieces: dict[int, np.ndarray]) -> np.ndarray:
    """The shingles of report ``i``'s text (a text may come as a callable: read from the warehouse only
    when wanted, ``xxgk.incremental.LazyText``)."""
    if i not in pieces:
        text = texts[i]
        pieces[i] = shingles((text() if callable(text) else text) or "")
    return pieces[i]
