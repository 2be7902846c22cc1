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


def catalogue_key(rules: Mapping[str, Rule]) -> str:
    """The digest of the rule catalogue (titles, bases, severities… of every rule)."""
    return digest(sorted((rule_id, repr(rule)) for rule_id, rule in rules.items()))
