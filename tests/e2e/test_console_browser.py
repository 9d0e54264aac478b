"""The console in a real browser (headless Chromium), over the data dir the Discord bot writes.

A member's question the documents cannot answer is refused in Discord, shows up on /conversations
and as an unanswered topic; a moderator writes the answer in the browser and the member's next,
paraphrased question in Discord gets that curated answer. Discord OAuth2 login goes through the
local Discord server and a moderator of guild A sees nothing of guild B.
"""
from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from bot.core.config import ConsoleSettings, Settings
from tests.e2e.browser import chromium, keep_screenshot  # noqa: F401  (chromium is a fixture)
from tests.e2e.conftest import World, make_assistant

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]
CONSOLE_DIR = Path(__file__).resolve().parents[2] / "bot" / "frontends" / "console"
TOKEN = "browser-test-admin-token"


def _console_missing() -> str | None:
    try:
        from bot.frontends.console.app import create_app  # noqa: F401
    except ImportError as exc:
        return f"the console cannot be imported: {exc}"
    if not (CONSOLE_DIR / "templates").is_dir():
        return "the console has no templates yet"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def console(world: World, port: int | None = None) -> AsyncIterator[str]:
    """`ragcord console` over the bot's data dir (its own Assistant and DB connection) under uvicorn."""
    reason = _console_missing()
    if reason:
        pytest.skip(reason)
    import uvicorn

    from bot.frontends.console.app import create_app

    port = port or _free_port()
    base = f"http://127.0.0.1:{port}"
    s = world.server
    settings: Settings = world.settings.model_copy(update={"console": ConsoleSettings(
        port=port, client_id=s.oauth.client_id, client_secret=s.oauth.client_secret,
        redirect_url=f"{base}/callback", api_base=s.api_base)})
    assistant = await make_assistant(settings)
    server = uvicorn.Server(uvicorn.Config(create_app(assistant, TOKEN), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        async with httpx.AsyncClient() as http:  # ready when it answers HTTP
            for _ in range(600):
                if task.done():
                    task.result()
                try:
                    if (await http.get(f"{base}/login")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            else:
                raise TimeoutError("the console did not answer")
        yield base
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        await assistant.aclose()


async def ask(world: World, user: Any, text: str, channel: Any = None) -> str:
    msg = await world.server.user_message(channel or world.general_a, user, text, mention_bot=True)
    return (await world.server.wait_for_reply(msg, timeout=60)).text


async def shot(page: Page, tmp_path: Path, name: str, full_page: bool = True) -> Path:
    path = tmp_path / name
    await page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 5_000, f"{name} is nearly empty"
    keep_screenshot(path)
    return path


async def token_login(page: Page, base: str) -> None:
    await page.goto(f"{base}/login")
    await page.locator("input[name=token]").fill(TOKEN)
    await page.locator("form:has(input[name=token]) [type=submit]").click()
    await page.wait_for_url(lambda url: not url.rstrip("/").endswith("/login") and "error" not in url)


async def text_of(page: Page) -> str:
    return await page.locator("body").inner_text()


# A week of a help channel, written through the store like the bot writes it, so the dashboard
# screenshot has something to chart: (question, answered source or None when refused, 👍/👎/0).
SEED = [
    ("How long do refunds take?", "Refund policy", 1), ("Can I get a refund after 30 days?", "Refund policy", 1),
    ("Where do I change my password?", "Account help", 1), ("How do I reset two-factor login?", "Account help", -1),
    ("Do you ship to Norway?", "Shipping guide", 1), ("What does express shipping cost?", "Shipping guide", 0),
    ("How do I download an invoice?", "Billing FAQ", 1), ("Can I pay by bank transfer?", "Billing FAQ", 0),
    ("Is there a student discount?", None, 0), ("Do you sell gift cards?", None, -1),
    ("How do I add a team member?", "Account help", 1), ("Where is my parcel?", "Shipping guide", 0),
    ("Can I change my billing address?", "Billing FAQ", 1), ("Do you have a mobile app?", None, 0),
    ("How do I cancel my subscription?", "Refund policy", -1), ("Which payment cards do you accept?", "Billing FAQ", 1),
]


async def seed_history(world: World, days: int = 7) -> int:
    """Record SEED questions on each of the last `days` days in guild A (before today's); how many."""
    import random

    from bot.store import AnswerData, Exchange, FlagDraft, Store
    from bot.store.answers import SqliteAnswers

    rng = random.Random(7)
    scope = f"guild:{world.guild_a.id}"
    store = await Store.open(world.settings.db_path)
    recorded: list[tuple[int, int]] = []  # (answer id, seconds ago)
    try:
        for ago in range(days, 0, -1):
            today = rng.sample(SEED, rng.randrange(5, len(SEED)))
            for left, (question, source, vote) in zip(range(len(today) - 1, -1, -1), today):  # left: after it
                cites = [] if source is None else [{"n": 1, "title": source, "source": f"docs/{source}.md",
                                                    "page": None, "chunk_id": rng.randrange(1, 99)}]
                answer = AnswerData(
                    text="I could not find that in the documents." if source is None
                    else f"See the {source} [1].", citations=cites, refused=source is None,
                    confidence=rng.uniform(0.1, 0.3) if source is None else rng.uniform(0.72, 0.97),
                    backend="extractive", latency_ms=rng.randrange(250, 1400))
                ex = Exchange(scope=scope, user=str(rng.randrange(10, 40)), channel=str(world.general_a.id),
                              conversation=None, question=question, answer=answer)
                async with store.db.transaction() as tx:
                    aid = await SqliteAnswers.record_exchange_in(tx, ex)
                    if source is None:
                        await SqliteAnswers.flag_exchange_in(tx, ex, aid, FlagDraft("low_confidence"))
                if vote:
                    await store.answers.add_feedback(aid, ex.user, vote)
                recorded.append((aid, ago * 86_400 + left * 2_700))  # seconds back, later ids newer
        async with store.db.transaction() as tx:  # the write path stamps now: move each one back
            for aid, ago in recorded:
                for table in ("answers", "messages"):
                    column = "id" if table == "answers" else "answer_id"
                    await tx.execute(f"UPDATE {table} SET created_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now',"
                                     f" '-{ago} seconds') WHERE {column} = ?", (aid,))
    finally:
        await store.close()
    return len(recorded)


async def test_a_refused_question_becomes_a_curated_answer_written_in_the_browser(
    world: World, chromium: BrowserContext, tmp_path: Path,  # noqa: F811
) -> None:
    assert await seed_history(world) > 40
    member = world.member("browser-member")
    question = "Do you deliver parcels to Antarctica by penguin courier?"
    paraphrase = "Can a penguin courier bring my parcel to Antarctica?"
    curated = "Yes: penguin courier delivery to Antarctica takes 6 weeks and costs 40 EUR."
    first = await ask(world, member, question)
    assert curated not in first

    async with console(world) as base:
        page = await chromium.new_page()
        await token_login(page, base)

        await page.goto(f"{base}/conversations")
        assert question in await text_of(page)
        await shot(page, tmp_path, "conversations.png", full_page=False)  # the newest rows; 50 a page is long

        await page.goto(f"{base}/")  # while the topic is still open, so it is among the top unanswered
        board = await text_of(page)
        assert "Refund policy" in board  # a top source of the seeded week
        await shot(page, tmp_path, "dashboard.png")

        await page.goto(f"{base}/unanswered")
        assert question in await text_of(page)
        await shot(page, tmp_path, "unanswered.png")
        topic = page.get_by_test_id("topic-row").filter(has_text=question).first
        await topic.get_by_test_id("write-answer").click()  # opens the form
        await topic.get_by_test_id("answer-input").fill(curated)
        await topic.get_by_test_id("save-answer").click()
        await page.wait_for_url(lambda url: "/unanswered" not in url)
        assert curated in await page.content()  # the curated page shows it in an editable textarea


    second = await ask(world, member, paraphrase)
    assert curated in second


async def test_discord_oauth_login_shows_a_moderator_only_their_servers(
    world: World, chromium: BrowserContext,  # noqa: F811
) -> None:
    in_a = "Which colour is the guild A mascot hat?"
    in_b = "Which colour is the guild B mascot scarf?"
    await ask(world, world.member("oauth-a"), in_a)
    await ask(world, world.member("oauth-b", world.guild_b), in_b, world.general_b)
    world.server.oauth.consenting = world.mod  # Manage Messages in guild A, not a member of B
    authorized: Callable[[Any], bool] = lambda c: c.kind == "oauth_token"  # noqa: E731

    async with console(world) as base:
        page = await chromium.new_page()
        await page.goto(f"{base}/login/discord")
        await page.wait_for_url(lambda url: url.startswith(base) and "/login" not in url and "/callback" not in url)
        await world.server.wait_for(authorized)

        await page.goto(f"{base}/conversations")
        seen = await text_of(page)
        assert in_a in seen
        assert in_b not in seen
        await page.goto(f"{base}/conversations?scope=guild:{world.guild_b.id}")
        assert in_b not in await text_of(page)
        world.server.oauth.consenting = None
