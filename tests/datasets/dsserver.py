"""A real HTTP server on 127.0.0.1 for the download tests: serves files with Range support and can be told
to misbehave per path (5xx, 404, an HTML page with status 200, a connection dropped halfway)."""

from __future__ import annotations

import http.server
import re
import threading
from pathlib import Path


class _Handler(http.server.BaseHTTPRequestHandler):
    server: FixtureServer.Server

    def log_message(self, fmt: str, *args) -> None:  # keep test output clean
        return

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        srv = self.server.owner
        path = self.path.split("?")[0]
        rng = self.headers.get("Range")
        with srv.lock:
            srv.log.append((path, rng))
            queue = srv.faults.get(path, [])
            fault = queue.pop(0) if queue else None
        if fault == "500":
            self.send_error(500, "Internal Server Error")
            return
        if fault == "404" or path not in srv.files:
            self.send_error(404, "Not Found")
            return
        if fault == "html":
            body = b"<!DOCTYPE html><html><body>Quota exceeded. Sign in to continue.</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        data = srv.files[path].read_bytes()
        start = 0
        m = re.fullmatch(r"bytes=(\d+)-", rng or "")
        if m and srv.ranges:
            start = int(m.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        if isinstance(fault, tuple) and fault[0] == "drop":
            self.wfile.write(data[start : start + fault[1]])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(data[start:])


class FixtureServer:
    """``files``: URL path -> file; ``faults``: URL path -> list of faults consumed one per request
    ("500", "404", "html", ("drop", nbytes)); ``log``: (path, Range header) per request."""

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True
        owner: FixtureServer

    def __init__(self) -> None:
        self.files: dict[str, Path] = {}
        self.faults: dict[str, list] = {}
        self.log: list[tuple[str, str | None]] = []
        self.ranges = True
        self.lock = threading.Lock()
        self.httpd = self.Server(("127.0.0.1", 0), _Handler)
        self.httpd.owner = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, url_path: str, file: Path) -> str:
        """Serve ``file`` at ``url_path``; returns the full URL."""
        self.files[url_path] = file
        return self.url + url_path

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.log.clear()
            self.ranges = True

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
