"""Good reports under hostile file names: path separators (as nested folders; ``\\`` is a plain character on
POSIX), ``..`` inside names, control characters and terminal escapes, bidi overrides, shell metacharacters,
a reserved Windows device name, a 253-byte name (most file systems allow 255 bytes per component) and a path of
more than 2,000 characters (nested folders); separately (``write_invalid_utf8_name``), a name that is not valid
UTF-8 (POSIX allows any bytes)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from hostile.base import Sample, write
from hostile.synthetic import body_name, good_spec, render

LONG_PATH_CHARS = 2000
COMPONENT_BYTES = 240


def hostile_names() -> list[tuple[str, str]]:
    """(kind, relative path) pairs; ``/`` separates folders."""
    deep = "/".join(f"{n}" + "d" * (COMPONENT_BYTES - 1) for n in range(LONG_PATH_CHARS // COMPONENT_BYTES + 1))
    names = [
        ("name-nested", "a/b/c/深/层/目/录/nested.txt"),
        ("name-dots", "a..b.txt"),
        ("name-dots-cn", "报告..2022..年度.html"),
        ("name-backslash", "a\\b\\..\\..\\c.txt"),
        ("name-control", "ctl_\x01\x02\x07\x08\x1b[31m红\x1b[0m\t\r\n\x7f.txt"),
        ("name-bidi", "report_\u202egnp.\u200b\ufeff.html"),
        ("name-shell", "$(touch pwned);`id`|'q' \"dq\" & <x>.md"),
        ("name-device", "CON.txt"),
        ("name-255", "长" * 83 + ".txt"),
        ("name-2000", deep + "/" + "f" * (COMPONENT_BYTES - 4) + ".txt"),
    ]
    return names


def write_names(folder: Path) -> list[Sample]:
    samples = []
    for index, (kind, rel) in enumerate(hostile_names()):
        fmt = rel.rsplit(".", 1)[1]
        data = render(good_spec(400 + index, body_name(40 + index)), fmt)
        samples.append(Sample(write(folder.joinpath(*rel.split("/")), data), kind, ("ok",), bad=False))
    return samples


def invalid_utf8_name() -> str | None:
    """A file name of raw non-UTF-8 bytes (GBK 报告, as unzipping a Windows archive leaves it), as Python
    spells it (surrogate escapes); None where the file system cannot hold it."""
    if sys.platform == "win32" or os.fsencode("\udcff") != b"\xff":
        return None
    return os.fsdecode(b"bad_\xff\xfe_\xc3(_gbk_\xb1\xa8\xb8\xe6.txt")


def write_invalid_utf8_name(folder: Path) -> Sample | None:
    name = invalid_utf8_name()
    if name is None:
        return None
    data = render(good_spec(450, body_name(60)), "txt")
    return Sample(write(folder / name, data), "name-invalid-utf8", ("ok",), bad=False)
