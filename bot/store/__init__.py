"""The bot's SQLite store (aiosqlite): conversation memory, answers, feedback, flags, settings.

Documents and chunks belong to `retrieval.catalog` and live in the same database file; each
side versions its own tables in `schema_migrations` under its component name.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiosqlite

COMPONENT = "bot"

MIGRATIONS: list[str] = [
    # 1: conversation log, answers, feedback, flags, per-guild settings
    """
    CREATE TABLE answers (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        question TEXT NOT NULL,
        text TEXT NOT NULL,
        citations TEXT NOT NULL DEFAULT '[]',
        confidence REAL NOT NULL,
        refused INTEGER NOT NULL DEFAULT 0,
        escalated INTEGER NOT NULL DEFAULT 0,
        backend TEXT NOT NULL DEFAULT '',
        latency_ms INTEGER NOT NULL DEFAULT 0,
        candidates TEXT NOT NULL DEFAULT '[]',
        user TEXT,
        channel TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        channel TEXT,
        conversation TEXT,
        user TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL,
        created_at TEXT NOT NULL,
        reply_to INTEGER,
        answer_id INTEGER REFERENCES answers(id) ON DELETE SET NULL,
        external_id TEXT
    );
    CREATE INDEX messages_conversation ON messages(conversation, id);
    CREATE INDEX messages_scope_time ON messages(scope, created_at);
    CREATE INDEX messages_user ON messages(scope, user);
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        answer_id INTEGER NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
        user TEXT NOT NULL,
        value INTEGER NOT NULL CHECK (value IN (-1, 1)),
        comment TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (answer_id, user)
    );
    CREATE TABLE flags (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        kind TEXT NOT NULL,
        answer_id INTEGER REFERENCES answers(id) ON DELETE SET NULL,
        message_id TEXT,
        channel TEXT,
        user TEXT,
        note TEXT,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
        resolved_by TEXT,
        created_at TEXT NOT NULL,
        resolved_at TEXT
    );
    CREATE INDEX flags_scope_status ON flags(scope, status, id);
    CREATE TABLE guild_settings (
        scope TEXT PRIMARY KEY,
        data TEXT NOT NULL DEFAULT '{}'
    );
    """,
    # 2: tutoring, remembered facts about users, conversation summaries, message sentiment
    """
    CREATE TABLE quiz_items (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        topic TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL CHECK (kind IN ('mcq', 'short')),
        question TEXT NOT NULL,
        choices TEXT NOT NULL DEFAULT '[]',
        answer TEXT NOT NULL,
        explanation TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT '',
        chunk_id INTEGER,
        created_by TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE quiz_attempts (
        id INTEGER PRIMARY KEY,
        item_id INTEGER NOT NULL REFERENCES quiz_items(id) ON DELETE CASCADE,
        scope TEXT NOT NULL,
        user TEXT NOT NULL,
        response TEXT NOT NULL,
        score REAL NOT NULL,
        verdict TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX quiz_attempts_user ON quiz_attempts(scope, user);
    CREATE TABLE quiz_reviews (
        scope TEXT NOT NULL,
        user TEXT NOT NULL,
        item_id INTEGER NOT NULL REFERENCES quiz_items(id) ON DELETE CASCADE,
        box INTEGER NOT NULL,
        due_at TEXT NOT NULL,
        PRIMARY KEY (scope, user, item_id)
    );
    CREATE TABLE user_facts (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        user TEXT NOT NULL,
        fact TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (scope, user, fact)
    );
    CREATE TABLE memory_summaries (
        conversation TEXT PRIMARY KEY,
        scope TEXT NOT NULL,
        user TEXT,
        summary TEXT NOT NULL,
        upto_message_id INTEGER NOT NULL,
        updated_at TEXT NOT NULL
    );
    ALTER TABLE messages ADD COLUMN sentiment REAL;
    """,
    # 3: the closest sources shown with a refusal, kept for the "Sources" button
    """
    ALTER TABLE answers ADD COLUMN closest TEXT NOT NULL DEFAULT '[]';
    """,
]


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class TurnRow:
    role: str
    content: str


@dataclass(frozen=True)
class LogRow:
    id: int
    scope: str
    channel: str | None
    conversation: str | None
    user: str
    role: str
    content: str
    created_at: str
    answer_id: int | None
    confidence: float | None


@dataclass(frozen=True)
class AnswerRow:
    id: int
    scope: str
    question: str
    text: str
    citations: list[dict[str, Any]]
    confidence: float
    refused: bool
    escalated: bool
    backend: str
    latency_ms: int
    candidates: list[dict[str, Any]]
    user: str | None
    channel: str | None
    created_at: str
    closest: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class FlagRow:
    id: int
    scope: str
    kind: str
    answer_id: int | None
    message_id: str | None
    channel: str | None
    user: str | None
    note: str | None
    status: str
    resolved_by: str | None
    created_at: str


@dataclass
class GuildSettings:
    """Per-guild settings declared once with their defaults (None = use the global setting)."""

    threshold: float | None = None
    auto_channels: list[str] = field(default_factory=list)
    mod_channel: str | None = None
    mod_role: str | None = None
    admin_role: str | None = None
    auto_quiet: bool = True  # auto-answer channels: stay silent (and flag) below the threshold

    @classmethod
    def from_json(cls, raw: str) -> GuildSettings:
        data = json.loads(raw or "{}")
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


class Store:
    """Async access to the bot's tables. One instance per process; call `close()`."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        # One connection is shared by every coroutine: transactions must not interleave.
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[aiosqlite.Connection]:
        """Serialised write transaction: committed on success, rolled back on any error."""
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.rollback()
                raise
            await self._db.commit()

    @classmethod
    async def open(cls, path: Path) -> Store:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, timeout=30)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA busy_timeout=30000")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA synchronous=NORMAL")
        store = cls(db)
        await store._migrate()
        return store

    async def close(self) -> None:
        await self._db.close()

    async def _migrate(self) -> None:
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(component TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL, "
            "PRIMARY KEY (component, version))"
        )
        async with self._db.execute(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = ?",
            (COMPONENT,),
        ) as cur:
            (current,) = await cur.fetchone()  # type: ignore[misc]
        for version, script in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            await self._db.executescript(
                "BEGIN;\n" + script + "\nINSERT INTO schema_migrations VALUES "
                f"('{COMPONENT}', {version}, '{now_iso()}');\nCOMMIT;"
            )

    # --- conversation memory -----------------------------------------------------------------
    async def recent_turns(self, conversation: str, limit: int) -> list[TurnRow]:
        if limit <= 0:
            return []
        async with self._db.execute(
            "SELECT role, content FROM messages WHERE conversation = ? ORDER BY id DESC LIMIT ?",
            (conversation, limit),
        ) as cur:
            rows = await cur.fetchall()
        return [TurnRow(r["role"], r["content"]) for r in reversed(rows)]

    # --- answers --------------------------------------------------------------------------------
    async def record_exchange(
        self,
        *,
        scope: str,
        user: str,
        channel: str | None,
        conversation: str | None,
        question: str,
        answer: dict[str, Any],
        external_id: str | None = None,
        sentiment: float | None = None,
    ) -> int:
        """Store question, answer row and the assistant turn in one transaction; returns answer id."""
        ts = now_iso()
        async with self._tx() as db:
            cur = await db.execute(
                "INSERT INTO messages (scope, channel, conversation, user, role, content,"
                " created_at, external_id, sentiment) VALUES (?,?,?,?, 'user', ?,?,?,?)",
                (scope, channel, conversation, user, question, ts, external_id, sentiment),
            )
            question_id = cur.lastrowid
            cur = await db.execute(
                "INSERT INTO answers (scope, question, text, citations, confidence, refused,"
                " escalated, backend, latency_ms, candidates, user, channel, created_at, closest)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (scope, question, answer["text"], json.dumps(answer["citations"]),
                 answer["confidence"], int(answer["refused"]), int(answer.get("escalated", False)),
                 answer["backend"], answer["latency_ms"], json.dumps(answer.get("candidates", [])),
                 user, channel, ts, json.dumps(answer.get("closest", []))),
            )
            answer_id = int(cur.lastrowid or 0)
            await db.execute(
                "INSERT INTO messages (scope, channel, conversation, user, role, content,"
                " created_at, reply_to, answer_id) VALUES (?,?,?,?, 'assistant', ?,?,?,?)",
                (scope, channel, conversation, user, answer["text"], ts, question_id, answer_id),
            )
        return answer_id

    async def get_answer(self, answer_id: int) -> AnswerRow | None:
        async with self._db.execute("SELECT * FROM answers WHERE id = ?", (answer_id,)) as cur:
            r = await cur.fetchone()
        if r is None:
            return None
        return AnswerRow(
            id=r["id"], scope=r["scope"], question=r["question"], text=r["text"],
            citations=json.loads(r["citations"]), confidence=r["confidence"],
            refused=bool(r["refused"]), escalated=bool(r["escalated"]), backend=r["backend"],
            latency_ms=r["latency_ms"], candidates=json.loads(r["candidates"]), user=r["user"],
            channel=r["channel"], created_at=r["created_at"], closest=json.loads(r["closest"]),
        )

    # --- feedback and flags ----------------------------------------------------------------------
    async def add_feedback(
        self, answer_id: int, user: str, value: int, comment: str | None = None
    ) -> None:
        if value not in (-1, 1):
            raise ValueError("feedback value must be +1 or -1")
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO feedback (answer_id, user, value, comment, created_at) VALUES (?,?,?,?,?)"
                " ON CONFLICT (answer_id, user) DO UPDATE SET value = excluded.value,"
                " comment = excluded.comment, created_at = excluded.created_at",
                (answer_id, user, value, comment, now_iso()),
            )

    async def feedback_for(self, answer_id: int) -> dict[str, int]:
        async with self._db.execute(
            "SELECT SUM(value = 1), SUM(value = -1) FROM feedback WHERE answer_id = ?", (answer_id,)
        ) as cur:
            up, down = await cur.fetchone()  # type: ignore[misc]
        return {"up": int(up or 0), "down": int(down or 0)}

    async def add_flag(
        self,
        kind: str,
        scope: str,
        *,
        user: str | None = None,
        answer_id: int | None = None,
        message_id: str | None = None,
        channel: str | None = None,
        note: str | None = None,
    ) -> int:
        async with self._tx() as db:
            cur = await db.execute(
                "INSERT INTO flags (scope, kind, answer_id, message_id, channel, user, note, created_at)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (scope, kind, answer_id, message_id, channel, user, note, now_iso()),
            )
        return int(cur.lastrowid or 0)

    async def list_flags(
        self, scope: str, status: str | None = "open", limit: int = 20, offset: int = 0
    ) -> list[FlagRow]:
        sql = "SELECT * FROM flags WHERE scope = ?"
        args: list[Any] = [scope]
        if status:
            sql += " AND status = ?"
            args.append(status)
        sql += " ORDER BY id DESC LIMIT ? OFFSET ?"
        args += [limit, offset]
        async with self._db.execute(sql, args) as cur:
            rows = await cur.fetchall()
        return [
            FlagRow(
                id=r["id"], scope=r["scope"], kind=r["kind"], answer_id=r["answer_id"],
                message_id=r["message_id"], channel=r["channel"], user=r["user"], note=r["note"],
                status=r["status"], resolved_by=r["resolved_by"], created_at=r["created_at"],
            )
            for r in rows
        ]

    async def resolve_flag(self, scope: str, flag_id: int, resolved_by: str) -> bool:
        async with self._tx() as db:
            cur = await db.execute(
                "UPDATE flags SET status = 'resolved', resolved_by = ?, resolved_at = ?"
                " WHERE id = ? AND scope = ? AND status = 'open'",
                (resolved_by, now_iso(), flag_id, scope),
            )
        return cur.rowcount > 0

    # --- moderation logs -------------------------------------------------------------------------
    async def logs(
        self,
        scope: str,
        *,
        user: str | None = None,
        channel: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[LogRow]:
        sql = (
            "SELECT m.*, a.confidence AS confidence FROM messages m"
            " LEFT JOIN answers a ON a.id = m.answer_id WHERE m.scope = ?"
        )
        args: list[Any] = [scope]
        for column, op, value in (
            ("m.user", "=", user), ("m.channel", "=", channel),
            ("m.created_at", ">=", since), ("m.created_at", "<", until),
        ):
            if value is not None:
                sql += f" AND {column} {op} ?"
                args.append(value)
        sql += " ORDER BY m.id LIMIT ? OFFSET ?"
        args += [limit, offset]
        async with self._db.execute(sql, args) as cur:
            rows = await cur.fetchall()
        return [
            LogRow(
                id=r["id"], scope=r["scope"], channel=r["channel"], conversation=r["conversation"],
                user=r["user"], role=r["role"], content=r["content"], created_at=r["created_at"],
                answer_id=r["answer_id"], confidence=r["confidence"],
            )
            for r in rows
        ]

    # --- per-guild settings ------------------------------------------------------------------------
    async def get_guild_settings(self, scope: str) -> GuildSettings:
        async with self._db.execute(
            "SELECT data FROM guild_settings WHERE scope = ?", (scope,)
        ) as cur:
            row = await cur.fetchone()
        return GuildSettings.from_json(row["data"]) if row else GuildSettings()

    async def set_guild_settings(self, scope: str, **changes: Any) -> GuildSettings:
        current = asdict(await self.get_guild_settings(scope))
        unknown = set(changes) - set(current)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        current.update(changes)
        updated = GuildSettings(**current)
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO guild_settings (scope, data) VALUES (?, ?)"
                " ON CONFLICT (scope) DO UPDATE SET data = excluded.data",
                (scope, json.dumps(asdict(updated))),
            )
        return updated

    # --- privacy -----------------------------------------------------------------------------------
    async def forget_user(self, scope: str, user: str) -> dict[str, int]:
        """Delete a user's messages, answers to them, feedback and flags in one scope."""
        counts: dict[str, int] = {}
        async with self._tx() as db:
            for table, sql, args in (
                ("quiz_attempts", "DELETE FROM quiz_attempts WHERE user = ? AND scope = ?", (user, scope)),
                ("quiz_reviews", "DELETE FROM quiz_reviews WHERE user = ? AND scope = ?", (user, scope)),
                ("facts", "DELETE FROM user_facts WHERE user = ? AND scope = ?", (user, scope)),
                ("summaries", "DELETE FROM memory_summaries WHERE user = ? AND scope = ?", (user, scope)),
                ("feedback", "DELETE FROM feedback WHERE user = ? AND answer_id IN "
                 "(SELECT id FROM answers WHERE scope = ?)", (user, scope)),
                ("flags", "DELETE FROM flags WHERE user = ? AND scope = ?", (user, scope)),
                ("messages", "DELETE FROM messages WHERE user = ? AND scope = ?", (user, scope)),
                ("answers", "DELETE FROM answers WHERE user = ? AND scope = ?", (user, scope)),
            ):
                cur = await db.execute(sql, args)
                counts[table] = cur.rowcount
        return counts

    # --- remembered facts about a user -------------------------------------------------------------
    async def add_fact(self, scope: str, user: str, fact: str) -> bool:
        async with self._tx() as db:
            cur = await db.execute(
                "INSERT OR IGNORE INTO user_facts (scope, user, fact, created_at) VALUES (?,?,?,?)",
                (scope, user, fact, now_iso()),
            )
        return cur.rowcount > 0

    async def facts(self, scope: str, user: str) -> list[str]:
        async with self._db.execute(
            "SELECT fact FROM user_facts WHERE scope = ? AND user = ? ORDER BY id", (scope, user)
        ) as cur:
            return [r["fact"] for r in await cur.fetchall()]

    async def replace_fact(self, scope: str, user: str, old: str, new: str) -> None:
        async with self._tx() as db:
            await db.execute(
                "DELETE FROM user_facts WHERE scope = ? AND user = ? AND fact = ?", (scope, user, old)
            )
            await db.execute(
                "INSERT OR IGNORE INTO user_facts (scope, user, fact, created_at) VALUES (?,?,?,?)",
                (scope, user, new, now_iso()),
            )

    # --- conversation summaries ------------------------------------------------------------------------
    async def conversation_messages(
        self, conversation: str, after_id: int = 0, limit: int = 500
    ) -> list[tuple[int, str, str]]:
        async with self._db.execute(
            "SELECT id, role, content FROM messages WHERE conversation = ? AND id > ? ORDER BY id LIMIT ?",
            (conversation, after_id, limit),
        ) as cur:
            return [(r["id"], r["role"], r["content"]) for r in await cur.fetchall()]

    async def summary(self, conversation: str) -> tuple[str, int] | None:
        async with self._db.execute(
            "SELECT summary, upto_message_id FROM memory_summaries WHERE conversation = ?",
            (conversation,),
        ) as cur:
            r = await cur.fetchone()
        return (r["summary"], r["upto_message_id"]) if r else None

    async def save_summary(
        self, conversation: str, scope: str, user: str | None, summary: str, upto: int
    ) -> None:
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO memory_summaries (conversation, scope, user, summary, upto_message_id,"
                " updated_at) VALUES (?,?,?,?,?,?) ON CONFLICT (conversation) DO UPDATE SET"
                " summary = excluded.summary, upto_message_id = excluded.upto_message_id,"
                " updated_at = excluded.updated_at",
                (conversation, scope, user, summary, upto, now_iso()),
            )

    # --- sentiment -------------------------------------------------------------------------------------
    async def recent_sentiments(self, scope: str, user: str, limit: int) -> list[float | None]:
        async with self._db.execute(
            "SELECT sentiment FROM messages WHERE scope = ? AND user = ? AND role = 'user'"
            " ORDER BY id DESC LIMIT ?",
            (scope, user, limit),
        ) as cur:
            return [r["sentiment"] for r in await cur.fetchall()]

    # --- tutoring --------------------------------------------------------------------------------------
    async def add_quiz_items(self, scope: str, created_by: str | None, items: Sequence[dict[str, Any]]) -> list[int]:
        ids: list[int] = []
        ts = now_iso()
        async with self._tx() as db:
            for it in items:
                cur = await db.execute(
                    "INSERT INTO quiz_items (scope, topic, kind, question, choices, answer, explanation,"
                    " source, chunk_id, created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (scope, it.get("topic", ""), it["kind"], it["question"], json.dumps(it.get("choices", [])),
                     it["answer"], it.get("explanation", ""), it.get("source", ""), it.get("chunk_id"),
                     created_by, ts),
                )
                ids.append(int(cur.lastrowid or 0))
        return ids

    async def quiz_item(self, scope: str, item_id: int) -> dict[str, Any] | None:
        async with self._db.execute(
            "SELECT * FROM quiz_items WHERE id = ? AND scope = ?", (item_id, scope)
        ) as cur:
            r = await cur.fetchone()
        if r is None:
            return None
        item = dict(r)
        item["choices"] = json.loads(item["choices"])
        return item

    async def record_attempt(
        self, scope: str, user: str, item_id: int, response: str, score: float, verdict: str,
        box: int, due_at: str,
    ) -> int:
        async with self._tx() as db:
            cur = await db.execute(
                "INSERT INTO quiz_attempts (item_id, scope, user, response, score, verdict, created_at)"
                " VALUES (?,?,?,?,?,?,?)",
                (item_id, scope, user, response, score, verdict, now_iso()),
            )
            await db.execute(
                "INSERT INTO quiz_reviews (scope, user, item_id, box, due_at) VALUES (?,?,?,?,?)"
                " ON CONFLICT (scope, user, item_id) DO UPDATE SET box = excluded.box,"
                " due_at = excluded.due_at",
                (scope, user, item_id, box, due_at),
            )
        return int(cur.lastrowid or 0)

    async def review_box(self, scope: str, user: str, item_id: int) -> int | None:
        async with self._db.execute(
            "SELECT box FROM quiz_reviews WHERE scope = ? AND user = ? AND item_id = ?",
            (scope, user, item_id),
        ) as cur:
            r = await cur.fetchone()
        return int(r["box"]) if r else None

    async def progress_by_topic(self, scope: str, user: str) -> list[dict[str, Any]]:
        async with self._db.execute(
            "SELECT i.topic AS topic, COUNT(*) AS attempts, AVG(a.score) AS mean_score,"
            " SUM(a.verdict = 'correct') AS correct FROM quiz_attempts a JOIN quiz_items i"
            " ON i.id = a.item_id WHERE a.scope = ? AND a.user = ? GROUP BY i.topic ORDER BY mean_score",
            (scope, user),
        ) as cur:
            return [dict(r) for r in await cur.fetchall()]

    async def due_reviews(self, scope: str, user: str, now: str, limit: int = 10) -> list[dict[str, Any]]:
        async with self._db.execute(
            "SELECT i.*, r.box AS box, r.due_at AS due_at FROM quiz_reviews r JOIN quiz_items i"
            " ON i.id = r.item_id WHERE r.scope = ? AND r.user = ? AND r.due_at <= ?"
            " ORDER BY r.due_at LIMIT ?",
            (scope, user, now, limit),
        ) as cur:
            rows = [dict(r) for r in await cur.fetchall()]
        for r in rows:
            r["choices"] = json.loads(r["choices"])
        return rows
