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


async def shot(page: Page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    await page.screenshot(path=str(path), full_page=True)
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


async def test_a_refused_question_becomes_a_curated_answer_written_in_the_browser(
    world: World, chromium: BrowserContext, tmp_path: Path,  # noqa: F811
) -> None:
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
        await shot(page, tmp_path, "conversations.png")

        await page.goto(f"{base}/")  # while the topic is still open, so it is among the top unanswered
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
