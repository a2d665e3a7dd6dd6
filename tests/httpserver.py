"""A real HTTP server on 127.0.0.1 for fetch tests, with scripted faults per path.

Each route is a `Route`: the body to serve and how to misbehave (fail N times with 5xx first, send
fewer bytes than Content-Length, stall, reset the connection, redirect, honour ETags). A path
ending in "*" matches every path with that prefix (the archive's /web/<timestamp>id_/<url> form).
A route with `stall_after` sends that many body bytes and then hangs until the server stops, so a
test can interrupt a download at a known point. A route with `trickle` sends its body one byte
every `trickle` seconds (with `trickle_headers`, its status line and headers too), as a server
that never times out a read but never finishes either.
"""

from __future__ import annotations

import os
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/pdf"
    etag: str | None = None
    last_modified: str | None = None
    fail_times: int = 0  # answer 503 this many times first
    fail_status: int = 503
    truncate_to: int | None = None  # send only this many bytes of body, with full Content-Length
    delay: float = 0.0  # seconds before answering (timeouts)
    reset: bool = False  # close the connection without answering
    redirect_to: str | None = None
    redirect_status: int = 302
    stall_after: int | None = None  # send this many body bytes, then hang until the server stops
    headers: dict[str, str] = field(default_factory=dict)
    trickle: float | None = None  # seconds between body bytes
    trickle_headers: bool = False  # the header block trickles too
    hits: int = 0
    request_headers: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # as requested, query string included


class FixtureServer:
    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                route = server.route_for(self.path)
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                route.hits += 1
                route.request_headers.append(dict(self.headers))
                route.paths.append(self.path)
                if route.delay:
                    time.sleep(route.delay)
                if route.reset:
                    # linger 0: closing sends a TCP RST, as a crashing server or a middlebox does.
                    # The descriptor is closed directly: socket.close() would wait for rfile/wfile.
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    os.close(self.connection.detach())
                    self.close_connection = True
                    return
                if route.fail_times > 0:
                    route.fail_times -= 1
                    self.send_response(route.fail_status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if route.redirect_to:
                    self.send_response(route.redirect_status)
                    self.send_header("Location", route.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self.send_response(304)
                    self.send_header("ETag", route.etag)
                    self.end_headers()
                    return
                if route.trickle_headers:
                    self._trickle(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(route.body) + route.body,
                        route.trickle or 1.0,
                    )
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                if route.etag:
                    self.send_header("ETag", route.etag)
                if route.last_modified:
                    self.send_header("Last-Modified", route.last_modified)
                for key, value in route.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                body = route.body if route.truncate_to is None else route.body[: route.truncate_to]
                if route.trickle:
                    self._trickle(body, route.trickle)
                    return
                if route.stall_after is not None:
                    body = route.body[: route.stall_after]
                try:
                    self.wfile.write(body)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return
                if route.stall_after is not None:
                    server.stopping.wait()
                    self.close_connection = True
                    return
                if route.truncate_to is not None:
                    self.close_connection = True

            def _trickle(self, data: bytes, interval: float) -> None:
                """One byte at a time until done or the server stops; then the connection ends."""
                self.close_connection = True
                for index in range(len(data)):
                    try:
                        self.wfile.write(data[index : index + 1])
                        self.wfile.flush()
                    except (BrokenPipeError, ConnectionResetError):
                        return
                    if server.stopping.wait(interval):
                        return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.scheme = "http"
        if tls is not None:  # (certificate, key) files: serve HTTPS instead
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def route_for(self, path: str) -> Route | None:
        if path in self.routes:
            return self.routes[path]
        for key, route in self.routes.items():
            if key.endswith("*") and path.startswith(key[:-1]):
                return route
        return None

    def url(self, path: str) -> str:
        return self.base_url + path

    def add(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return self.url(path)

    def start(self) -> FixtureServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
