"""Text broken into lines at the last character that still fits (the renderers' own wrapping)."""
from __future__ import annotations

from collections.abc import Callable


def wrap_chars(text: str, too_wide: Callable[[str], bool]) -> list[str]:
    """``text`` as lines, each as long as ``too_wide`` allows (a line holds at least one character);
    an empty text is one empty line."""
    lines, current = [], ""
    for ch in text:
        if current and too_wide(current + ch):
            lines.append(current)
            current = ""
        current += ch
    return [*lines, current]
