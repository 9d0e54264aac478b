"""The console over a real SQLite store: access, isolation, CSRF, inert user text, uploads, charts."""
from __future__ import annotations

import io
import json
import re
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient

from bot.core.assistant import Assistant
from bot.core.config import load_settings
from bot.frontends.console.app import create_app
from bot.frontends.console.auth import COOKIE, Principal, Session, Signer, admin_token, discord_principal
from bot.store import AnswerData, Exchange

TOKEN = "t0ken-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
XSS = "<script>alert(1)</script> see [click](http://evil.example)"


async def _exchange(assistant: Assistant, scope: str, question: str, refused: bool = False) -> int:
    data = AnswerData(text=f"answer to {question}", citations=[{"n": 1, "title": f"Doc {scope}", "source": "x.md",
                                                                 "text": "passage"}],
                      confidence=0.2 if refused else 0.9, refused=refused, backend="extractive", latency_ms=42)
    return await assistant.store.answers.record_exchange(Exchange(scope, "u1", "c1", None, question, data))


@pytest.fixture
async def console(tmp_path: Path):
    settings = load_settings(None, data_dir=tmp_path, **{"limits.max_file_bytes": 4096})
    assistant = await Assistant.create(settings)
    ids = {
        "a": await _exchange(assistant, "guild:1", "How long do refunds take?"),
        "b": await _exchange(assistant, "guild:2", "Secret question of server two"),
        "x": await _exchange(assistant, "guild:1", XSS, refused=True),
    }
    await assistant.store.answers.add_flag("low_confidence", "guild:2", answer_id=ids["b"], note="server-two-flag")
    with TestClient(create_app(assistant, TOKEN)) as client:
        yield client, ids, tmp_path
    await assistant.aclose()


def moderator_of(client: TestClient, data_dir: Path, scope: str) -> None:
    session = Session(principal=Principal("mod", moderates=(scope,)))
    client.cookies.set(COOKIE, Signer(data_dir).dumps(session))


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


PAGES = ["/", "/conversations", "/flags", "/unanswered", "/curated", "/documents", "/settings", "/tutoring"]
APIS = ["/api/conversations", "/api/flags", "/api/unanswered", "/api/curated", "/api/documents"]


def test_every_page_and_endpoint_works_with_the_token(console) -> None:
    client, ids, _ = console
    for path in [*PAGES, f"/answers/{ids['a']}"]:
        r = client.get(path, headers=AUTH)
        assert r.status_code == 200, path
        assert "<html" in r.text
    for path in [*APIS, f"/api/answers/{ids['a']}"]:
        assert client.get(path, headers=AUTH).status_code == 200, path
    assert "/api/unanswered" in client.get("/api/openapi.json").json()["paths"]


def test_without_credentials_pages_redirect_and_api_answers_401(console) -> None:
    client, _, _ = console
    for path in PAGES:
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login", path
    for path in APIS:
        assert client.get(path).status_code == 401, path
    assert client.get("/api/conversations", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_login_with_the_token_sets_a_signed_httponly_cookie(console) -> None:
    client, _, _ = console
    page = client.get("/login")
    r = client.post("/login", data={"token": TOKEN, "csrf": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert client.get("/conversations").status_code == 200


def test_conversations_newest_first_and_searchable(console) -> None:
    client, ids, _ = console
    rows = client.get("/api/conversations", headers=AUTH).json()
    assert [r["id"] for r in rows] == sorted(ids.values(), reverse=True)
    found = client.get("/api/conversations", params={"q": "refunds"}, headers=AUTH).json()
    assert [r["id"] for r in found] == [ids["a"]]
    refused = client.get("/api/conversations", params={"refused": "yes"}, headers=AUTH).json()
    assert [r["id"] for r in refused] == [ids["x"]]


def test_a_moderator_of_server_one_sees_nothing_of_server_two(console) -> None:
    client, ids, data_dir = console
    moderator_of(client, data_dir, "guild:1")
    html = client.get("/conversations").text
    assert "refunds" in html and "Secret question" not in html
    assert client.get(f"/answers/{ids['b']}").status_code == 404
    assert client.get(f"/api/answers/{ids['b']}").status_code == 404
    assert client.get("/conversations", params={"scope": "guild:2"}).text.count('data-testid="conversation-row"') == 0
    assert "server-two-flag" not in client.get("/flags").text
    assert client.get("/api/flags").json() == []
    page = client.get("/flags")
    flag_id = client.get("/api/flags", headers=AUTH).json()[0]["id"]
    assert client.post(f"/flags/{flag_id}/resolve", data={"csrf": csrf_of(page.text)}).status_code == 404


def test_oauth_guild_permissions_become_scopes() -> None:
    p = discord_principal({"id": "9", "username": "mo"}, [
        {"id": "1", "permissions": str(1 << 13)}, {"id": "2", "permissions": "0"},
        {"id": "3", "permissions": str(1 << 5 | 1 << 13)},
    ])
    assert p.moderates == ("guild:1", "guild:3") and p.administers == ("guild:3",)
    assert p.can_see("guild:1") and not p.can_see("guild:2") and not p.can_admin("guild:1")


def test_post_without_csrf_is_refused(console) -> None:
    client, _, data_dir = console
    moderator_of(client, data_dir, "guild:2")
    flag_id = client.get("/api/flags").json()[0]["id"]
    assert client.post(f"/flags/{flag_id}/resolve", data={}).status_code == 403
    assert client.post(f"/flags/{flag_id}/resolve", data={"csrf": "forged"}).status_code == 403
    assert client.post("/login", data={"token": TOKEN}).status_code == 403
    page = client.get("/flags")
    assert client.post(f"/flags/{flag_id}/resolve", data={"csrf": csrf_of(page.text)}).status_code == 200
    resolved = client.get("/api/flags", params={"status": "resolved"}).json()
    assert resolved[0]["resolved_by"] == "mod" and resolved[0]["resolved_at"]


def test_user_text_is_rendered_inert(console) -> None:
    client, ids, _ = console
    for path in ("/conversations", f"/answers/{ids['x']}"):
        html = client.get(path, headers=AUTH).text
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert 'href="http://evil.example"' not in html


def test_upload_over_the_limit_is_refused_in_one_line(console) -> None:
    client, _, _ = console
    r = client.post("/documents/upload", headers=AUTH, data={"scope": "guild:1"},
                    files={"files": ("big.txt", b"x" * 5000, "text/plain")})
    assert r.status_code == 413
    assert r.json()["detail"] == "big.txt is too large (limit 4,096 bytes)."


def test_a_zip_bomb_is_refused_in_one_line(console) -> None:
    client, _, _ = console
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "0" * 3_000_000)
    assert len(buf.getvalue()) < 4096
    r = client.post("/documents/upload", headers=AUTH, data={"scope": "guild:1"},
                    files={"files": ("bomb.docx", buf.getvalue(), "application/octet-stream")})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail.startswith("bomb.docx:") and "\n" not in detail


def test_dashboard_draws_svg_charts(console) -> None:
    client, _, _ = console
    html = client.get("/", headers=AUTH).text
    assert html.count("<svg") >= 5
    assert "Doc guild:1" in html  # top sources


def test_the_admin_token_file_is_private(tmp_path: Path) -> None:
    token, fresh = admin_token(tmp_path, None)
    assert fresh and len(token) > 20
    assert (tmp_path / "console_token").stat().st_mode & 0o777 == 0o600
    assert admin_token(tmp_path, None) == (token, False)


@pytest.mark.slow
def test_an_unanswered_topic_becomes_a_curated_answer(console) -> None:
    client, ids, _ = console
    topics = client.get("/api/unanswered", headers=AUTH).json()
    assert [t["id"] for t in topics] == [ids["x"]]
    topic = topics[0]
    assert {"question", "count", "examples", "scope", "first_seen", "last_seen"} <= set(topic)
    page = client.get("/unanswered", headers=AUTH)
    assert 'data-testid="write-answer"' in page.text
    r = client.post(f"/unanswered/{topic['id']}/answer", headers=AUTH,
                    data={"scope": "guild:1", "answer": "Refunds take 5 days.", "question": "refund time?"})
    assert r.status_code == 200
    curated = client.get("/api/curated", headers=AUTH).json()
    assert [(c["question"], c["answer"], c["scope"]) for c in curated] == [("refund time?", "Refunds take 5 days.",
                                                                             "guild:1")]
    assert client.get("/api/unanswered", headers=AUTH).json() == []


class _FakeDiscord(BaseHTTPRequestHandler):
    """Just the OAuth2 endpoints: a code for a token, the user, and their guilds (A only)."""

    def _json(self, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        ok = form.get("code") == ["good-code"] and form.get("client_secret") == ["s3cret"]
        self._json({"access_token": "at-1", "token_type": "Bearer"} if ok else {"error": "invalid_grant"})

    def do_GET(self) -> None:  # noqa: N802
        assert self.headers["Authorization"] == "Bearer at-1"
        if self.path.endswith("/users/@me"):
            self._json({"id": "77", "username": "modA"})
        else:
            self._json([{"id": "1", "name": "A", "permissions": str(1 << 13)}])

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_discord():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeDiscord)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v10"
    server.shutdown()
    thread.join()


async def test_discord_login_gives_a_moderator_of_server_one_only(tmp_path: Path, fake_discord: str) -> None:
    settings = load_settings(None, data_dir=tmp_path, **{
        "console.client_id": "cid", "console.client_secret": "s3cret", "console.api_base": fake_discord})
    assistant = await Assistant.create(settings)
    try:
        await _exchange(assistant, "guild:1", "Question in server one")
        await _exchange(assistant, "guild:2", "Question in server two")
        client = TestClient(create_app(assistant, TOKEN))
        r = client.get("/login/discord", follow_redirects=False)
        target = urlparse(r.headers["location"])
        assert target.path == "/api/v10/oauth2/authorize"
        state = parse_qs(target.query)["state"][0]
        assert client.get("/callback", params={"code": "good-code", "state": "forged"},
                          follow_redirects=False).headers["location"].startswith("/login?error")
        r = client.get("/callback", params={"code": "good-code", "state": state}, follow_redirects=False)
        assert r.headers["location"] == "/"
        html = client.get("/conversations").text
        assert "server one" in html and "server two" not in html
        assert "modA (77)" in html
        assert client.get("/settings").text.count('data-testid="settings-form"') == 0  # not an admin
    finally:
        await assistant.aclose()


def error_line(html: str) -> str:
    match = re.search(r'data-testid="error-line">([^<]*)<', html)
    assert match, "no error line on the page"
    return match.group(1)


def test_a_browser_gets_errors_as_one_line_in_a_page(console) -> None:
    client, ids, data_dir = console
    moderator_of(client, data_dir, "guild:1")
    r = client.get("/no-such-page")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert error_line(r.text) == "No such page." and "<nav>" in r.text  # in the console's layout
    r = client.get(f"/answers/{ids['b']}")  # another server's answer
    assert r.status_code == 404 and error_line(r.text) == "No such answer."
    r = client.post(f"/flags/{ids['a']}/resolve", data={"csrf": "forged"})
    assert r.status_code == 403 and "CSRF" in error_line(r.text) and "Traceback" not in r.text
    r = client.get("/answers/not-a-number")
    assert r.status_code == 422 and "\n" not in error_line(r.text)


def test_scripts_still_get_json_errors(console) -> None:
    client, ids, data_dir = console
    assert client.get("/no-such-page", headers=AUTH).json() == {"detail": "Not Found"}  # a Bearer request
    assert client.get(f"/api/answers/{10**6}", headers=AUTH).status_code == 404
    moderator_of(client, data_dir, "guild:1")
    r = client.get(f"/api/answers/{ids['b']}")  # /api/ with a cookie
    assert r.status_code == 404 and "detail" in r.json()
    assert client.get("/api/no-such-endpoint").headers["content-type"] == "application/json"


def test_curated_answers_take_keywords_citations_and_keep_their_history(console) -> None:
    client, _, _ = console
    r = client.post("/curated", headers=AUTH, data={
        "scope": "guild:1", "question": "Opening hours?", "answer": "9 to 5.", "keywords": "hours, opening times",
        "citations": "Opening hours | docs/hours.md\nFront desk", "regex": ""})
    assert r.status_code == 200
    [row] = client.get("/api/curated", headers=AUTH).json()
    assert row["keywords"] == ["hours", "opening times"] and row["regex"] is None
    assert [(c["title"], c["source"]) for c in row["citations"]] == [("Opening hours", "docs/hours.md"),
                                                                      ("Front desk", "")]
    page = client.get("/curated", headers=AUTH).text
    assert 'value="hours, opening times"' in page and "Opening hours | docs/hours.md\nFront desk" in page
    assert 'data-testid="curated-history"' not in page  # nothing changed yet
    client.post(f"/curated/{row['id']}/edit", headers=AUTH, data={
        "scope": "guild:1", "question": "Opening hours?", "answer": "9 to 6 on weekdays.", "keywords": "hours",
        "citations": "Opening hours | docs/hours.md", "regex": "open(ing)? hours"})
    client.post(f"/curated/{row['id']}/disable", headers=AUTH, data={"scope": "guild:1"})
    [row] = client.get("/api/curated", headers=AUTH).json()
    assert row["keywords"] == ["hours"] and row["regex"] == "open(ing)? hours" and not row["enabled"]
    history = client.get("/curated", headers=AUTH).text.split('data-testid="curated-history"')[1]
    assert "History (2)" in history and "9 to 5." in history  # the version before the edit
    assert history.index("<td>disable</td>") < history.index("<td>edit</td>")  # newest first
    r = client.post(f"/curated/{row['id']}/edit", headers=AUTH, data={"scope": "guild:1", "regex": "(unclosed"})
    assert r.status_code == 400 and "not valid" in r.json()["detail"]


async def test_warming_groups_every_servers_topics_once(tmp_path: Path) -> None:
    from bot.frontends.console.context import console_of_app
    from bot.frontends.console.review import topics_for, warm_topics

    assistant = await Assistant.create(load_settings(None, data_dir=tmp_path))
    try:
        await _exchange(assistant, "guild:1", "Where is the cloakroom?", refused=True)
        await _exchange(assistant, "guild:2", "Is there a night bus?", refused=True)
        c = console_of_app(create_app(assistant, TOKEN))
        assert await warm_topics(c) == 2
        assert set(c.topic_cache.entries) == {"guild:1", "guild:2"}
        cached = c.topic_cache.entries["guild:1"][1]
        assert (await topics_for(c, "guild:1"))[0] is cached[0]  # the page reads the warmed topics
    finally:
        await assistant.aclose()
