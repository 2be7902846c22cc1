"""A polite, robust HTTP client for harvesting (httpx underneath).

* per host: at most ``per_host`` requests at a time and ``delay`` seconds between two requests (robots.txt's
  ``Crawl-delay`` raises it, capped);
* robots.txt honoured (fetched once per site; a site whose robots.txt answers 5xx or cannot be reached is
  treated as forbidding everything, as RFC 9309 asks; a 4xx robots.txt allows everything);
* timeouts; retries with exponential backoff on 5xx, timeouts and broken connections — never on 4xx;
* a maximum size (the body is streamed and the transfer aborted past it), a redirect limit and loop check;
* conditional GET: the ``ETag`` / ``Last-Modified`` of the last fetch of a URL are sent back, and a 304
  costs one small request;
* a user agent naming the office (configurable).

Nothing here raises on a network fault: every request gives a ``Fetched`` that says what happened.
"""
from __future__ import annotations

import hashlib
import threading
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    import httpx

DEFAULT_USER_AGENT = "xxgk-harvest/1.0 (annual report check of the government information disclosure office)"
MAX_BYTES = 20 * 1024 * 1024  # the readers' own file limit (parsing/readers.py)
MAX_CRAWL_DELAY = 30.0
SITE_DOWN = "网站无法访问"


@dataclass(frozen=True)
class ClientSettings:
    """How politely and how patiently to fetch. ``user_agent`` should name the office and a contact."""

    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 20.0          # seconds: connect, and between two chunks of a response
    total_timeout: float = 120.0   # seconds for one whole response (a server trickling bytes is cut off)
    retries: int = 2               # further attempts after a 5xx, a timeout or a broken connection
    backoff: float = 1.0           # seconds before the first retry, doubling each time
    max_bytes: int = MAX_BYTES
    max_redirects: int = 5
    per_host: int = 2              # requests at a time to one host
    delay: float = 1.0             # seconds between two requests to one host
    obey_robots: bool = True


@dataclass(frozen=True)
class Validators:
    """What the last fetch of a URL said about its version (sent back for a conditional GET)."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass(frozen=True)
class Fetched:
    """One request's result. ``kind``: ``ok`` (2xx, complete body), ``not_modified`` (304), ``http_error``
    (a 4xx, or a 5xx after the retries), ``failed`` (no usable answer: timeout, connection, truncated body,
    too many redirects, a redirect loop, too large), ``robots`` (robots.txt forbids the URL)."""

    url: str
    final_url: str
    kind: str
    status: int | None = None
    body: bytes | None = None
    content_type: str | None = None
    last_modified: str | None = None
    etag: str | None = None
    error: str | None = None
    attempts: int = 0
    location: str | None = None  # a redirect's target (internal: ``get`` follows it)
    fetched_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc).replace(tzinfo=None))

    @property
    def ok(self) -> bool:
        return self.kind == "ok"

    @property
    def sha256(self) -> str | None:
        return hashlib.sha256(self.body).hexdigest() if self.body is not None else None


class _Failed(Exception):
    """A transfer that gave no usable answer; ``retry`` says whether trying again may help."""

    def __init__(self, message: str, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


class HostGate:
    """At most ``limit`` requests at a time to one host, and ``delay`` seconds between their starts."""

    def __init__(self, limit: int, delay: float) -> None:
        self.slots = threading.BoundedSemaphore(max(limit, 1))
        self.delay = delay
        self._lock = threading.Lock()
        self._next = 0.0

    def __enter__(self) -> HostGate:
        self.slots.acquire()
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.delay
        time.sleep(max(0.0, start - now))
        return self

    def __exit__(self, *exc: object) -> None:
        self.slots.release()


def header_value(text: str) -> str:
    """HTTP headers are ASCII: an office's name in Chinese is sent percent-encoded."""
    from urllib.parse import quote

    return quote(text, safe=" !\"#$&'()*+,-./:;<=>?@[]^_`{|}~") if not text.isascii() else text


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}"


class HarvestClient:
    """Thread-safe: one client per harvest, shared by every thread (one connection pool, one gate per
    host, robots.txt read once per site). ``on_request(fetched, role, context)`` sees every request's
    result (the crawl log); ``context`` is what the caller passed to ``get`` (e.g. the body's id)."""

    def __init__(self, settings: ClientSettings | None = None,
                 on_request: Callable[[Fetched, str, str | None], None] | None = None) -> None:
        self.settings = settings or ClientSettings()
        s = self.settings
        import httpx  # here, not at import time: ``xxgk`` builds its options without loading httpx

        self._httpx = httpx
        self.http = httpx.Client(follow_redirects=False, headers={"User-Agent": header_value(s.user_agent)},
                                 timeout=httpx.Timeout(s.timeout), trust_env=False)
        self.on_request = on_request
        self._gates: dict[str, HostGate] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | str] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self.requests = 0

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> HarvestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ public

    def get(self, url: str, validators: Validators | None = None, role: str = "page",
            context: str | None = None) -> Fetched:
        """GET ``url`` (following redirects up to the limit, each hop checked against robots.txt)."""
        seen: list[str] = []
        current = url
        while True:
            refused = self.robots_refusal(current, context)
            if refused:
                kind = "failed" if refused.startswith(SITE_DOWN) else "robots"
                return self._log(Fetched(url, current, kind, error=refused), role, context)
            result = self._attempts(url, current, validators if not seen else None)
            if result.kind != "redirect":
                return self._log(result, role, context)
            seen.append(current)
            target = urljoin(current, result.location or "")
            if target in seen or target == current:
                return self._log(Fetched(url, current, "failed", result.status, error=f"重定向循环（{target}）",
                                         attempts=result.attempts), role, context)
            if len(seen) > self.settings.max_redirects:
                return self._log(Fetched(url, current, "failed", result.status, attempts=result.attempts,
                                         error=f"重定向超过 {self.settings.max_redirects} 次"), role, context)
            current = target

    def robots_refusal(self, url: str, context: str | None = None) -> str | None:
        """Why robots.txt forbids ``url`` (Chinese), or None when it may be fetched."""
        if not self.settings.obey_robots:
            return None
        rules = self._robots_of(origin(url), context)
        if isinstance(rules, str):
            return rules
        if not rules.can_fetch(self.settings.user_agent, url):
            return "robots.txt 不允许抓取此网址"
        return None

    # ------------------------------------------------------------ internals

    def _gate(self, url: str) -> HostGate:
        key = origin(url)
        with self._lock:
            gate = self._gates.get(key)
            if gate is None:
                gate = self._gates[key] = HostGate(self.settings.per_host, self.settings.delay)
            return gate

    def _robots_of(self, site: str, context: str | None) -> urllib.robotparser.RobotFileParser | str:
        with self._lock:
            site_lock = self._robots_locks.setdefault(site, threading.Lock())
        with site_lock:  # one robots.txt request per site, whichever thread asks first
            known = self._robots.get(site)
            return known if known is not None else self._read_robots(site, context)

    def _read_robots(self, site: str, context: str | None) -> urllib.robotparser.RobotFileParser | str:
        fetched = self._attempts(site + "/robots.txt", site + "/robots.txt", None)
        self._log(fetched, "robots", context)
        rules: urllib.robotparser.RobotFileParser | str = urllib.robotparser.RobotFileParser()
        if fetched.ok and fetched.body is not None:
            rules.parse(fetched.body.decode("utf-8", "replace").splitlines())
            delay = rules.crawl_delay(self.settings.user_agent)
            if delay:
                self._gate(site).delay = max(self._gate(site).delay, min(float(delay), MAX_CRAWL_DELAY))
        elif fetched.kind == "http_error" and fetched.status is not None and fetched.status < 500:
            rules.parse([])  # no robots.txt (404 …): everything allowed
        elif fetched.kind == "redirect":
            rules.parse([])
        elif fetched.kind == "failed":  # no answer at all: the site is down, not forbidding
            rules = f"{SITE_DOWN}（读取 robots.txt 时：{fetched.error}）"
        else:  # a 5xx after the retries: RFC 9309 says assume everything is disallowed
            rules = f"robots.txt 暂时无法读取（{fetched.error or fetched.status}），按规定不抓取该网站"
        self._robots[site] = rules
        return rules

    def _attempts(self, url: str, current: str, validators: Validators | None) -> Fetched:
        """One URL (no redirect followed), retried with backoff on 5xx, timeouts and broken transfers."""
        s = self.settings
        for attempt in range(1, s.retries + 2):
            result = self._once(url, current, validators, attempt)
            retry = result.kind == "retry" or (result.kind == "http_error" and (result.status or 0) >= 500)
            if not retry or attempt > s.retries:
                return result if result.kind != "retry" else Fetched(url, current, "failed", result.status,
                                                                       error=result.error, attempts=attempt)
            time.sleep(s.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def _once(self, url: str, current: str, validators: Validators | None, attempt: int) -> Fetched:
        headers = validators.headers() if validators else {}
        httpx = self._httpx
        with self._gate(current):
            self.requests += 1
            try:
                with self.http.stream("GET", current, headers=headers) as response:
                    return self._answer(url, current, response, attempt)
            except _Failed as exc:
                return Fetched(url, current, "retry" if exc.retry else "failed", error=str(exc), attempts=attempt)
            except httpx.TimeoutException:
                return Fetched(url, current, "retry", error=f"超时（{self.settings.timeout:g} 秒无响应）",
                               attempts=attempt)
            except httpx.RemoteProtocolError as exc:
                return Fetched(url, current, "retry", error=f"响应不完整或不合规范（{exc}）", attempts=attempt)
            except httpx.HTTPError as exc:
                return Fetched(url, current, "retry", error=f"无法连接（{exc.__class__.__name__}: {exc}）",
                               attempts=attempt)

    def _answer(self, url: str, current: str, response: httpx.Response, attempt: int) -> Fetched:
        h = response.headers
        meta = {"status": response.status_code, "content_type": h.get("content-type"),
                "last_modified": h.get("last-modified"), "etag": h.get("etag"), "attempts": attempt}
        if response.status_code == 304:
            return Fetched(url, current, "not_modified", **meta)
        if response.is_redirect and h.get("location"):
            return Fetched(url, current, "redirect", location=h["location"], **meta)
        if response.is_redirect:
            return Fetched(url, current, "failed", error=f"HTTP {response.status_code} 重定向缺少目标地址", **meta)
        if response.status_code >= 400:
            return Fetched(url, current, "http_error", error=f"HTTP {response.status_code}", **meta)
        return Fetched(url, current, "ok", body=self._body(response), **meta)

    def _body(self, response: httpx.Response) -> bytes:
        """The whole body (decompressed), streamed: the transfer is aborted past ``max_bytes`` (of wire
        or of decompressed bytes) or ``total_timeout``; a body shorter than its Content-Length is refused."""
        limit = self.settings.max_bytes
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise _Failed(f"文件过大（声明 {int(declared):,} 字节，上限 {limit:,} 字节），未下载", retry=False)
        started = time.monotonic()
        parts, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit or response.num_bytes_downloaded > limit:
                raise _Failed(f"文件过大（超过上限 {limit:,} 字节），已中止下载", retry=False)
            if time.monotonic() - started > self.settings.total_timeout:
                raise _Failed(f"下载超时（超过 {self.settings.total_timeout:g} 秒）", retry=True)
            parts.append(chunk)
        if declared and declared.isdigit() and response.num_bytes_downloaded < int(declared):
            raise _Failed(f"响应不完整（收到 {response.num_bytes_downloaded:,} / {int(declared):,} 字节）", retry=True)
        return b"".join(parts)

    def _log(self, fetched: Fetched, role: str, context: str | None) -> Fetched:
        if self.on_request is not None:
            self.on_request(fetched, role, context)
        return fetched
