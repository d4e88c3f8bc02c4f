"""The authoring preview of ``derive page --watch``: a small HTTP server on 127.0.0.1 only.

``/`` is the page, ``/version`` a number that grows whenever the spec file's bytes change
(the page asks for it twice a second and reloads when it differs: CSP ``connect-src
'self'``). The page is rebuilt when asked for after a change; a spec with an error gives a
page showing the same one line the command prints, and the server keeps running. Ctrl-C
(and SIGTERM, SIGHUP) stop it through :func:`derive.cli.main`'s signal handling.
"""

from __future__ import annotations

import errno
import json
import sys
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from derive.errors import DeriveError, UsageError, error_line

HOST = "127.0.0.1"  # never another interface: the page carries its answer keys


class Preview:
    """The spec's bytes, its version and its page, rebuilt when the bytes change."""

    def __init__(self, spec: Path, build: Callable[[int], str]):
        self.spec, self.build = spec, build
        self.version, self.seen, self.html, self.error = 0, b"", "", ""

    def refresh(self) -> None:
        try:
            data = self.spec.read_bytes()
        except OSError as e:
            data = f"unreadable: {e}".encode()
        if data == self.seen and self.html:
            return
        from derive.present.page import error_page

        self.seen, self.version, self.error = data, self.version + 1, ""
        try:
            self.html = self.build(self.version)
        except DeriveError as e:
            self.error = error_line(e)
        except OSError as e:  # the spec vanished or became unreadable while being saved
            self.error = f"derive: {e.filename or self.spec}: {e.strerror}"
        if self.error:  # in the page, and in the terminal the server runs in
            self.html = error_page(self.error, self.version)
            print(self.error, file=sys.stderr, flush=True)


def _handler(preview: Preview) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            preview.refresh()
            if self.path == "/":
                self._send(preview.html, "text/html; charset=utf-8")
            elif self.path == "/version":
                self._send(json.dumps({"version": preview.version}), "application/json")
            else:
                self.send_error(404)

        def _send(self, text: str, kind: str) -> None:
            body = text.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args) -> None:  # a request a second would drown the terminal
            pass

    return Handler


def serve(spec: Path, build: Callable[[int], str], port: int) -> int:
    """Serve the page of ``spec`` until stopped; ``port`` 0 takes a free one."""
    preview = Preview(spec, build)
    preview.refresh()  # the first build before the first request: its error shows at once
    try:
        server = HTTPServer((HOST, port), _handler(preview))
    except OSError as e:
        if e.errno in (errno.EADDRINUSE, errno.EACCES):
            raise UsageError(f"--port {port}: {e.strerror}") from None
        raise
    with server:
        print(f"serving {spec} at http://{HOST}:{server.server_port}/ (Ctrl-C stops)", flush=True)
        server.serve_forever()
    return 0
