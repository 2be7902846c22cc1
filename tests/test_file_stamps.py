"""A night trusts the sha256 the last run recorded for a file whose stamp is unchanged, and only then."""
from __future__ import annotations

import hashlib
import os
import time

from xxgk import pipeline


def _written(path, data: bytes) -> str:  # noqa: ANN001
    path.write_bytes(data)
    return pipeline.file_stamp(os.stat(path))


def test_an_unchanged_file_keeps_its_recorded_sha256_without_being_read(tmp_path):
    path = tmp_path / "a.txt"
    recorded = {str(path): (_written(path, b"2023 report"), "sha-from-the-last-run")}
    known, rest = pipeline.trusted([path], recorded)
    assert rest == [] and known[path].sha256 == "sha-from-the-last-run"  # not hashed: taken from the run


def test_a_rewritten_file_is_hashed_again_even_with_its_size_and_mtime_kept(tmp_path):
    path = tmp_path / "a.txt"
    recorded = {str(path): (_written(path, b"2023 report 1"), "sha of version 1")}
    before = os.stat(path)
    time.sleep(0.02)  # past the coarse clock's tick
    path.write_bytes(b"2023 report 2")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # as a copy keeping times would
    known, rest = pipeline.trusted([path, tmp_path / "new.txt"], recorded)
    assert known == {} and rest == [path, tmp_path / "new.txt"]


def test_a_file_changed_just_before_it_was_hashed_gets_no_stamp(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"2023 report")
    source = pipeline.hash_file(path)
    assert source.sha256 == hashlib.sha256(b"2023 report").hexdigest() and source.stamp is None


def test_a_source_trusted_before_is_taken_again_only_with_the_same_stamp_and_sha256(tmp_path):
    path = tmp_path / "a.txt"
    stamp = _written(path, b"2023 report")
    first, _ = pipeline.trusted([path], {str(path): (stamp, "sha 1")})
    again, _ = pipeline.trusted([path], {str(path): (stamp, "sha 1")})
    assert again[path] is first[path], "the same source: not made anew"
    other, _ = pipeline.trusted([path], {str(path): (stamp, "sha recorded since")})
    assert other[path].sha256 == "sha recorded since", "what the last run recorded counts, not what was kept"
    time.sleep(0.02)
    path.write_bytes(b"2023 report, rewritten")
    known, rest = pipeline.trusted([path], {str(path): (stamp, "sha recorded since")})
    assert known == {} and rest == [path]
