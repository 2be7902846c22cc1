"""The mock portal's HTTP server: one ``ThreadingHTTPServer`` per site on 127.0.0.1 (ports chosen by the
OS), serving ``synth.mock_portal.MockPortal``'s resources with their faults, conditional GET answered 304.
Every request is recorded (site, path, headers) for the tests."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from synth.mock_portal import MockPortal, Resource


class PortalServer:
    """One HTTP server per site of ``portal`` on 127.0.0.1 (threads, stopped on exit). ``requests`` lists
    every request as (site, path, headers); conditional GET (ETag, If-Modified-Since) is answered with 304."""

    def __init__(self, portal: MockPortal) -> None:
        self.portal = portal
        self.servers: dict[str, ThreadingHTTPServer] = {}
        self.bases: dict[str, str] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.served: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> PortalServer:
        for site in self.portal.sites:
            server = _Server(("127.0.0.1", 0), _handler(self, site))
            self.servers[site] = server
            self.bases[site] = f"http://127.0.0.1:{server.server_address[1]}"
        for server in self.servers.values():
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def url(self, site: str, path: str) -> str:
        return self.bases[site] + path

    def count(self, site: str, path: str) -> int:
        return sum(1 for s, p, _ in self.requests if s == site and p == path)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001 - a client that gave up: not news
        pass


def _handler(server: PortalServer, site: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = self.path
            with server._lock:
                server.requests.append((site, path, dict(self.headers.items())))
                seen = server.served[(site, path)] = server.served.get((site, path), 0) + 1
            resource = server.portal.sites[site].get(path) or server.portal.sites[site].get(urlsplit(path).path)
            if resource is None:
                return self._send(404, b"<html><body>404 Not Found</body></html>", "text/html")
            self._serve(resource, seen)

        def _serve(self, r: Resource, seen: int) -> None:
            if r.fault == "slow":
                time.sleep(server.portal.slow_seconds)
            if r.fault == "always_500" or (r.fault == "fail_once" and seen == 1):
                return self._send(500, b"Internal Server Error", "text/plain")
            if r.fault == "redirect":
                self.send_response(r.status)
                self.send_header("Location", r.location or "/")
                self.end_headers()
                return None
            if r.fresh_for(self.headers):
                self.send_response(304)
                self.send_header("ETag", r.etag)
                self.end_headers()
                return None
            body = r.body  # "{b}" in a page stands for site b's address (absolute links)
            for name, base in server.bases.items():
                body = body.replace(b"{" + name.encode() + b"}", base.encode())
            return self._send(r.status, body, r.content_type, r)

        def _send(self, status: int, body: bytes, content_type: str, r: Resource | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if r is not None:
                self.send_header("ETag", r.etag)
                self.send_header("Last-Modified", r.last_modified)
            fault = r.fault if r is not None else None
            if fault != "no_length":
                self.send_header("Content-Length", str(len(body) + (5000 if fault == "truncated" else 0)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler
