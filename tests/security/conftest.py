"""Builders for hostile inputs (made in the test, never committed) and a local web server."""
from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.retrieval.conftest import pdf_bytes


@dataclass
class Route:
    status: int = 200
    content_type: str = "text/plain"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunks: int = 1  # >1: body sent this many times without Content-Length (a stream)


@dataclass
class Web:
    base: str
    routes: dict[str, Route]
    seen: list[dict[str, str]]  # request line + Host header of every request

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])


@pytest.fixture()
def web() -> Iterator[Web]:
    """A real HTTP server on 127.0.0.1; tests fill `routes` (path -> Route)."""
    routes: dict[str, Route] = {}
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            seen.append({"path": self.path, "host": self.headers.get("Host", "")})
            route = routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            for k, v in route.headers.items():
                self.send_header(k, v)
            if route.chunks > 1:
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    for _ in range(route.chunks):
                        self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Web(f"http://127.0.0.1:{server.server_address[1]}", routes, seen)
    server.shutdown()
    server.server_close()




def encrypted_pdf_bytes() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(["secret text"]))))
    writer.encrypt(user_password="hunter2", owner_password="owner")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def docx_bytes(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def zip_bomb_docx(unpacked_mb: int = 300) -> bytes:
    """A DOCX whose word/document.xml inflates to `unpacked_mb` MB from a few hundred KB."""
    real = zipfile.ZipFile(io.BytesIO(docx_bytes(["A harmless looking paragraph."])))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in real.infolist():
            data = real.read(info.filename)
            if info.filename == "word/document.xml":
                with out.open("word/document.xml", "w", force_zip64=True) as handle:
                    block = b" " * (1024 * 1024)
                    for _ in range(unpacked_mb):
                        handle.write(block)
            else:
                out.writestr(info, data)
    return buf.getvalue()


Builder = Callable[[Path], Path]


from tests.model.conftest import tiny_gpt2  # noqa: E402,F401 - the tiny local model
from tests.retrieval.conftest import embedder, make_kb  # noqa: E402,F401 - shared fixtures
