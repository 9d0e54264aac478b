"""`ragcord ingest <sitemap> --resync`, `ragcord resync` and `ragcord docs list`, as a user runs them,
against a local HTTP server started by the test."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PAGES: dict[str, bytes] = {}
SEEN: list[tuple[str, str | None]] = []


def ragcord(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAGCORD_DATA_DIR": str(data_dir), "RAGCORD_GENERATOR": "extractive", "COLUMNS": "200",
           "RAGCORD_LIMITS__URL_ALLOWLIST": '["127.0.0.1"]'}  # the test server is on loopback
    env.pop("RAGCORD_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "bot.main", *args], capture_output=True, text=True, env=env,
                          timeout=240, cwd=Path(__file__).resolve().parents[4])


@pytest.fixture()
def base() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            SEEN.append((self.path, self.headers.get("If-None-Match")))
            body = PAGES.get(self.path)
            if body is None:
                self.send_error(404)
                return
            tag = f'"{hash(body) & 0xFFFFFFFF:x}"'
            if self.headers.get("If-None-Match") == tag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/xml" if self.path.endswith(".xml") else "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", tag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_ingest_sitemap_then_resync_embeds_nothing_and_docs_show_the_sync(base: str, tmp_path: Path) -> None:
    PAGES.clear()
    PAGES["/one"] = b"<html><head><title>One</title></head><body><p>Kettles are descaled monthly.</p></body></html>"
    PAGES["/two"] = b"<html><head><title>Two</title></head><body><p>Lanterns use LED candles.</p></body></html>"
    PAGES["/sitemap.xml"] = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{base}/one</loc></url><url><loc>{base}/two</loc></url></urlset>").encode()
    data = tmp_path / "data"
    first = ragcord(data, "ingest", f"{base}/sitemap.xml", "--resync", "24h", "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["added"] == 2 and report["chunks_embedded"] >= 2 and report["errors"] == []
    SEEN.clear()
    again = ragcord(data, "resync", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["global"] == {
        "sources": 1, "changed": 0, "unchanged": 2, "removed": 0, "failed": 0, "skipped": 0,
        "chunks_embedded": 0, "errors": []}
    assert sorted(path for path, _ in SEEN) == ["/one", "/sitemap.xml", "/two"] and all(tag for _, tag in SEEN)
    assert ragcord(data, "resync", "--due-only", "--json").stdout.strip() == '{"global": ' + json.dumps({
        "sources": 0, "changed": 0, "unchanged": 0, "removed": 0, "failed": 0, "skipped": 0,
        "chunks_embedded": 0, "errors": []}) + "}"  # scheduled daily: nothing due yet
    listed = json.loads(ragcord(data, "docs", "list", "--json").stdout)
    assert {d["source"] for d in listed} == {f"{base}/one", f"{base}/two"}
    assert all(d["sync"]["last_synced_at"] and d["sync"]["last_error"] is None for d in listed)
    table = ragcord(data, "docs", "list")
    assert "last sync" in table.stdout and "synced just now" in table.stdout
    bad = ragcord(data, "ingest", f"{base}/sitemap.xml", "--resync", "soon")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "not an interval" in bad.stderr
