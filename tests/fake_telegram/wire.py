"""HTTP on the wire: the threaded server and its handler, request bodies (``Content-Length`` or
chunked) and their parameters (query string, urlencoded form, JSON or multipart form).
"""

from __future__ import annotations

import contextlib
import json
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from tests.fake_telegram.answers import _Answer
from tests.fake_telegram.records import _Upload

if TYPE_CHECKING:
    from tests.fake_telegram.server import FakeTelegram


def _read_params(handler: _Handler, body: bytes) -> tuple[dict[str, Any], dict[str, _Upload]]:
    """Parameters from the query string and the body (urlencoded, JSON or multipart)."""
    params: dict[str, Any] = dict(parse_qsl(urlsplit(handler.path).query, keep_blank_values=True))
    uploads: dict[str, _Upload] = {}
    content_type = handler.headers.get_content_type()
    if not body:
        return params, uploads
    if content_type == "application/x-www-form-urlencoded":
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    elif content_type == "application/json":
        with contextlib.suppress(ValueError):
            data = json.loads(body)
            if isinstance(data, dict):
                params.update(data)
    elif content_type == "multipart/form-data":
        boundary = handler.headers.get_param("boundary")
        fields, uploads = _parse_multipart(body, str(boundary or "").encode())
        params.update(fields)
    return params, uploads


_DISPOSITION = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def _parse_multipart(body: bytes, boundary: bytes) -> tuple[dict[str, str], dict[str, _Upload]]:
    """Split a ``multipart/form-data`` body into fields and file parts (bytes kept exact)."""
    fields: dict[str, str] = {}
    uploads: dict[str, _Upload] = {}
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers = dict(
            line.split(":", 1)
            for line in head.decode("utf-8", "replace").split("\r\n")
            if ":" in line
        )
        lowered = {key.strip().lower(): value.strip() for key, value in headers.items()}
        attributes = {
            key: _form_unescape(value)
            for key, value in _DISPOSITION.findall(lowered.get("content-disposition", ""))
        }
        name = attributes.get("name", "")
        if "filename" in attributes:
            uploads[name] = _Upload(
                attributes["filename"],
                content,
                lowered.get("content-type", "application/octet-stream"),
            )
        else:
            fields[name] = content.decode("utf-8", "replace")
    return fields, uploads


def _form_unescape(value: str) -> str:
    """Undo httpx's HTML5 escaping of form parameter values (``%22``, ``%0A``, ``\\\\``)."""
    value = re.sub(r"%([01][0-9A-F]|22)", lambda m: chr(int(m.group(1), 16)), value)
    return value.replace("\\\\", "\\")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # bursts of concurrent clients must not wait for SYN retries
    block_on_close = False  # stop() must not wait for a request held on purpose
    owner: FakeTelegram

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (timeouts, killed processes) are part of the tests: stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""

    def do_GET(self) -> None:
        """GET: parameters in the query string."""
        self.server.owner._serve(self)

    def do_POST(self) -> None:
        """POST: parameters in the query string and the body."""
        self.server.owner._serve(self)

    def read_body(self, length: int) -> bytes:
        """The request body (``Content-Length`` or chunked)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(length) if length else b""

    def drain(self, length: int) -> None:
        """Read and forget ``length`` body bytes (so the client can read our answer)."""
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 16))
            if not chunk:
                return
            length -= len(chunk)

    def send(self, answer: _Answer, *, close: bool = False) -> None:
        """Write ``answer``; a client that already hung up is ignored."""
        with contextlib.suppress(OSError):
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers:
                self.send_header(name, value)
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(answer.body)
            self.wfile.flush()
