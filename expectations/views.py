"""Data Docs page views that share compiled Jinja templates.

GX gives every site section (suites, validations) and the index page its own Jinja environment, so a
Data Docs build compiles the same ~20 templates three times (~0.1 s each time on this machine). These
views are GX's own (``DefaultJinjaPageView``, ``DefaultJinjaIndexPageView``) with one in-memory bytecode
cache shared by every environment of the process: each template is compiled once, and a cached template
is reused only while its source is unchanged (Jinja checks a checksum). The runner names them in the
run folder's site configuration (``expectations.runner._context``).
"""
from __future__ import annotations

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

VIEWS_MODULE = __name__


class _MemoryBytecodeCache(BytecodeCache):
    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # ignored by Jinja when the source checksum differs

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_SHARED = _MemoryBytecodeCache()


class PageView(DefaultJinjaPageView):
    def __init__(self, custom_styles_directory=None, custom_views_directory=None) -> None:  # noqa: ANN001
        super().__init__(custom_styles_directory, custom_views_directory)
        self.env.bytecode_cache = _SHARED


class IndexPageView(DefaultJinjaIndexPageView):
    def __init__(self, custom_styles_directory=None, custom_views_directory=None) -> None:  # noqa: ANN001
        super().__init__(custom_styles_directory, custom_views_directory)
        self.env.bytecode_cache = _SHARED
