"""Headless Chromium from the Debian packages, driven by Playwright (never `playwright install`).

`chromium` (a fixture) opens a fresh browser context with its own profile directory per test and
skips the test, with the reason, where /usr/bin/chromium or the playwright package is missing.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext

CHROMIUM = Path(os.environ.get("RAGCORD_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium keeps calling Google services, which on a
# closed network only means retries and noise.
ARGS = (
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
    "--no-default-browser-check", "--metrics-recording-only", "--mute-audio",
)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -e '.[test]')"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)"
    return None


@pytest_asyncio.fixture(loop_scope="module")
async def chromium(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    reason = missing()
    if reason:
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True, args=list(ARGS),
            viewport={"width": 1280, "height": 860}, locale="en-US", timezone_id="UTC",
        )
        context.set_default_timeout(20_000)
        try:
            yield context
        finally:
            await context.close()


def keep_screenshot(shot: Path) -> None:
    """Copy a screenshot taken into the test's tmp dir to docs/screenshots/ when asked to."""
    if os.environ.get("RAGCORD_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SCREENSHOTS / shot.name)
