"""Old Office formats (.doc/.wps/.xls/.et) → .docx/.xlsx through LibreOffice headless.

One conversion at a time per process (a lock), in a temporary LibreOffice profile of this process
(``-env:UserInstallation``: never the user's own, never shared with another worker), with a timeout: a hung or
crashing ``soffice`` is killed with its whole process group and the file is recorded with a Chinese reason —
the run goes on. When LibreOffice is not installed the file is *not* skipped: it fails with the reason
``CONVERTER_MISSING`` (so its verdict is 待核实).

Before converting, the OLE2 container is checked (``parsing.ole``): a password-protected or truncated file is
refused with its own reason instead of being handed to the converter.
"""
from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from parsing.errors import NotADocument, ReadError

CONVERTER_MISSING = "转换程序未安装（LibreOffice），无法读取 {kind} 文件；请安装 LibreOffice（scripts/install-system-deps）后重新检查"
TIMEOUT_SECONDS = float(os.environ.get("XXGK_CONVERT_TIMEOUT", "120"))
_TARGETS = {"docx": "docx:MS Word 2007 XML", "xlsx": "xlsx:Calc MS Excel 2007 XML"}
_LOCK = threading.Lock()
_PROFILE: dict[str, str] = {}  # the process's LibreOffice profile directory, made on first use


class ConverterMissing(ReadError):
    """LibreOffice is not installed: the file could not be converted (not the file's fault)."""


class ConversionFailed(ReadError):
    """LibreOffice ran but gave no output, crashed or hung (and was killed)."""


@dataclass(frozen=True)
class Conversion:
    """The converted bytes and how long the conversion took (seconds, the lock wait excluded)."""

    data: bytes
    seconds: float


def soffice() -> str | None:
    """The LibreOffice program: ``$XXGK_SOFFICE`` when set (an empty value means "not installed"), else
    ``soffice`` or ``libreoffice`` on the PATH."""
    configured = os.environ.get("XXGK_SOFFICE")
    if configured is not None:
        return shutil.which(configured) if configured else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(data: bytes, suffix: str, target: str, timeout: float | None = None) -> Conversion:
    """``data`` (a file whose name ends in ``suffix``, e.g. ".doc") converted to ``target`` ("docx"/"xlsx").

    Raises ``ConverterMissing`` when LibreOffice is absent, ``ConversionFailed`` when it fails, hangs past the
    timeout (then it is killed) or crashes."""
    program = soffice()
    kind = suffix.lstrip(".").lower() or "旧版 Office"
    if program is None:
        raise ConverterMissing(CONVERTER_MISSING.format(kind=f".{kind}"))
    with _LOCK:
        return _convert_locked(program, data, kind, target, timeout or TIMEOUT_SECONDS)


def _convert_locked(program: str, data: bytes, kind: str, target: str, timeout: float) -> Conversion:
    with tempfile.TemporaryDirectory(prefix="xxgk-convert-") as work:
        source = Path(work) / f"input.{kind}"
        source.write_bytes(data)
        started = time.perf_counter()
        command = [program, f"-env:UserInstallation={_profile_url()}", "--headless", "--invisible",
                   "--nologo", "--norestore", "--nodefault", "--nolockcheck", "--convert-to", _TARGETS[target],
                   "--outdir", work, str(source)]
        returncode, output = _run(command, timeout, kind)
        seconds = time.perf_counter() - started
        result = Path(work) / f"input.{target}"
        if not result.is_file() or result.stat().st_size == 0:
            _reset_profile()  # a crash may leave the profile unusable: the next conversion starts afresh
            detail = f"退出码 {returncode}" + (f"：{output}" if output else "")
            raise ConversionFailed(f"LibreOffice 无法转换此 .{kind} 文件（{detail}），文件可能已损坏、不完整或不是"
                                   f"{'Word/WPS 文档' if target == 'docx' else '电子表格'}")
        return Conversion(result.read_bytes(), seconds)


def _run(command: list[str], timeout: float, kind: str) -> tuple[int, str]:
    """Run ``command`` in its own process group; on timeout kill the whole group (soffice forks)."""
    env = {**os.environ, "SAL_USE_VCLPLUGIN": "svp", "HOME": _PROFILE.get("home") or _profile_home()}
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True, env=env)
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        _reset_profile()
        raise ConversionFailed(f"LibreOffice 转换此 .{kind} 文件超过 {timeout:g} 秒未完成，已强制终止；"
                               "文件可能已损坏或过于复杂，请人工打开核实") from None
    finally:
        _kill_group(process)  # a helper process left behind by a crash goes too
    if process.returncode < 0:
        _reset_profile()
        raise ConversionFailed(f"LibreOffice 转换此 .{kind} 文件时崩溃（信号 {-process.returncode}），"
                               "文件可能已损坏，请人工打开核实")
    text = out.decode("utf-8", "replace") if out else ""
    errors = [line.strip() for line in text.splitlines() if line.lower().startswith("error")]
    return process.returncode, "；".join(errors)[:200]


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def _profile_home() -> str:
    """This process's temporary directory holding the LibreOffice profile (removed at exit)."""
    if "home" not in _PROFILE or _PROFILE.get("pid") != str(os.getpid()):
        home = tempfile.mkdtemp(prefix="xxgk-soffice-")
        _PROFILE.update(home=home, pid=str(os.getpid()))
        atexit.register(shutil.rmtree, home, True)
    return _PROFILE["home"]


def _profile_url() -> str:
    return Path(_profile_home(), "profile").as_uri()


def _reset_profile() -> None:
    home = _PROFILE.get("home")
    if home:
        shutil.rmtree(Path(home, "profile"), ignore_errors=True)


def not_convertible(kind: str) -> NotADocument:
    """The error for an OLE2 file that holds neither a Word/WPS document nor a workbook."""
    return NotADocument(f"文件是旧版 Office 复合文件，但其中既没有 Word/WPS 文档也没有电子表格（.{kind}），无法读取")
