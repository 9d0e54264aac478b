"""Several real bot processes (`python -m bot.main run`) against one fake Discord with n shards and one
PostgreSQL: their environment, start/kill, a tiny shared knowledge base, and reading the replies back.

Used by tests/e2e/test_discord_shards.py and bench/two_process.py. Everything waits on events — a
shard's IDENTIFY arriving, a reply being recorded, a process exiting — never on sleeps.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot.core.config import Settings
from tests.e2e.fake_discord import TOKEN, Call, FakeDiscord

ROOT = Path(__file__).resolve().parents[2]
KB_TEXT = (b"# Store\n\nRefunds are paid back within five business days. Orders ship from the Rotterdam "
           b"warehouse within two business days. Express delivery costs 12 euros.\n")
QUESTIONS = ("How long does a refund take?", "When do orders ship?", "How much is express delivery?",
             "Where is the warehouse?")


def bot_env(server: FakeDiscord, url: str, data_dir: Path, shard_ids: Iterable[int] | None,
            **settings: str) -> dict[str, str]:
    """The process environment of one bot: this machine's, less any RAGCORD_* of the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGCORD_") and k != "DISCORD_TOKEN"}
    env.update(
        HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1",
        DISCORD_TOKEN=TOKEN, RAGCORD_DATA_DIR=str(data_dir), RAGCORD_DATABASE_URL=url,
        RAGCORD_GENERATION__BACKEND="extractive",
        RAGCORD_DISCORD__API_BASE=server.api_base, RAGCORD_DISCORD__GATEWAY=server.gateway,
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    if shard_ids is not None:
        env["RAGCORD_DISCORD__SHARD_COUNT"] = str(server.shard_count)
        env["RAGCORD_DISCORD__SHARD_IDS"] = ",".join(str(i) for i in shard_ids)
    env.update({f"RAGCORD_{k.upper()}": v for k, v in settings.items()})
    return env


@dataclass
class BotProcess:
    """One `ragcord run` child; its output goes to `log` (read it when it fails)."""

    name: str
    env: dict[str, str]
    cwd: Path
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    _out: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self._out = self.log.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.main", "run"], cwd=self.cwd, env=self.env,
                                     stdout=self._out, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    async def exited(self) -> int:
        assert self.proc is not None
        return await asyncio.to_thread(self.proc.wait)

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        """Send `sig` (SIGKILL: no cleanup at all) and wait for the exit."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = await self.exited()
        if self._out is not None:
            self._out.close()
        return code


async def wait_connected(server: FakeDiscord, bots: dict[int, BotProcess], timeout: float = 300) -> None:
    """Until every shard's process has identified; a process that exits first fails with its log."""
    for shard, bot in bots.items():
        ready = asyncio.ensure_future(server.shard_ready(shard).wait())
        died = asyncio.ensure_future(bot.exited())
        done, _ = await asyncio.wait({ready, died}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if died in done:
            raise RuntimeError(f"{bot.name} exited ({died.result()}) before connecting:\n{bot.tail()}")
        died.cancel()
        if ready not in done:
            raise TimeoutError(f"{bot.name} did not connect shard {shard}:\n{bot.tail()}")


async def ingest_kb(settings: Settings, scopes: Iterable[str], folder: Path) -> None:
    """The tiny store handbook into each scope of the shared data dir (documents stay on local disk)."""
    from bot.core.assistant import Assistant

    folder.mkdir(parents=True, exist_ok=True)
    doc = folder / "store.md"
    doc.write_bytes(KB_TEXT)
    assistant = await Assistant.create(settings)
    try:
        for scope in scopes:
            report = await assistant.ingest(scope, [str(doc)])
            assert not report.errors, report.errors
    finally:
        await assistant.aclose()


def reply_to(call: Call) -> str | None:
    """The user message id a bot message replies to (None for other calls)."""
    ref = (call.message or {}).get("message_reference") or {}
    return ref.get("message_id") if call.kind in ("message_create", "message_edit") else None


def is_final(call: Call) -> bool:
    """An answer (it has buttons) or a notice (not a streaming preview nor the queue placeholder)."""
    text = call.content
    return reply_to(call) is not None and (bool(call.custom_ids) or not (text.endswith("▌") or text.startswith("⏳")))


async def wait_finals(server: FakeDiscord, ids: Iterable[str], timeout: float = 120) -> dict[str, Call]:
    """The first final reply to each message id, waiting until all have one."""
    wanted = set(ids)

    def collect() -> dict[str, Call]:
        found: dict[str, Call] = {}
        for call in server.calls:
            mid = reply_to(call)
            if mid in wanted and mid not in found and is_final(call):
                found[mid] = call
        return found

    async def wait() -> dict[str, Call]:
        async with server._cond:
            while len(found := collect()) < len(wanted):
                await server._cond.wait()
            return found

    return await asyncio.wait_for(wait(), timeout)


def replies(server: FakeDiscord, mid: str) -> set[int]:
    """The bot messages created in reply to message `mid` (one per answering process)."""
    return {c.message_id for c in server.calls if c.kind == "message_create" and reply_to(c) == mid
            and c.message_id is not None}


def answer_id(call: Call) -> int | None:
    """The stored answer id an answer's buttons carry (`rc:<action>:<id>`)."""
    return next((int(cid.rsplit(":", 1)[1]) for cid in call.custom_ids if cid.startswith("rc:")), None)


def answered(server: FakeDiscord, mid: str) -> Call | None:
    """The reply to `mid` that carries an answer's buttons, if one was posted."""
    return next((c for c in server.calls if reply_to(c) == mid and c.custom_ids), None)


async def claims(url: str, mids: Iterable[str]) -> dict[str, str]:
    """Who claimed each message id (owner "host:pid"), read from the shared database."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT message_id, owner FROM question_claims WHERE message_id = ANY($1::text[])",
                                list(mids))
    finally:
        await conn.close()
    return {r["message_id"]: r["owner"] for r in rows}


async def stored_questions(url: str, answer_ids: Iterable[int]) -> dict[int, tuple[str, str | None]]:
    """answer id -> (its stored question, the Discord message id it was asked in)."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT a.id, a.question, q.external_id FROM answers a"
            " JOIN messages r ON r.answer_id = a.id AND r.role = 'assistant'"
            " JOIN messages q ON q.id = r.reply_to WHERE a.id = ANY($1::bigint[])", list(answer_ids))
    finally:
        await conn.close()
    return {r["id"]: (r["question"], r["external_id"]) for r in rows}
