"""Digests that decide what a rebuild can keep: a page or a 整改通知 draft is made again only when the digest
of what it shows changed (see ``portal.site`` and ``portal.notices``)."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache
from importlib import resources

from rules.catalogue import Rule


def digest(value: object) -> str:
    """A short stable digest of ``value``'s ``repr`` (text is hashed as it is)."""
    text = value if isinstance(value, str) else repr(value)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@cache
def code_version() -> str:
    """The digest of the portal's own code and stylesheet: output written by other code is made anew."""
    root = resources.files("portal")
    parts = [(f.name, f.read_bytes()) for f in sorted(root.iterdir(), key=lambda f: f.name)
             if f.name.endswith(".py")]
    return digest((parts, root.joinpath("assets/site.css").read_bytes()))


SHOWN_RULE_FIELDS = ("title", "basis", "severity")  # what the pages and drafts show of a catalogue rule


def shown_rules_key(rules: Mapping[str, Rule]) -> str:
    """The digest of what the body pages, the overview's kept rows and the 整改通知 drafts show of the rule
    catalogue: which rules it holds, and each one's ``SHOWN_RULE_FIELDS``. A change of anything else of a rule
    (a tolerance, its check, its message template, the editions or bodies it applies to) reaches a page only
    through the findings it changes, and those are in each body's digest: after such a change only the
    bodies whose findings changed are drawn again, not the whole site."""
    return digest(sorted((rule_id, tuple(getattr(rule, name) for name in SHOWN_RULE_FIELDS))
                         for rule_id, rule in rules.items()))
