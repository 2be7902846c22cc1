"""Mistakes a user can fix (a mistyped folder, a bad register, …): the command prints the message (one or
two lines of Chinese) and exits 2, without a traceback (``xxgk --debug`` shows it)."""
from __future__ import annotations


class UserError(Exception):
    """A problem with what the user asked for, found before (or instead of) doing any work."""
