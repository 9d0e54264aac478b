"""Read-only queries of the moderator console: filtered conversations, flags, dashboard, tutoring.

Every query takes the scopes the caller may see and filters on them; an empty list sees nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.store.database import Database


@dataclass(frozen=True)
class ConversationFilter:
    scopes: list[str]
    channel: str | None = None
    user: str | None = None
    since: str | None = None
    until: str | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None
    refused: bool | None = None
    feedback: str | None = None  # "up" | "down" | "none"
    search: str | None = None
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True)
class ConversationRow:
    id: int
    scope: str
    channel: str | None
    user: str | None
    question: str
    answer: str
    confidence: float
    refused: bool
    backend: str
    latency_ms: int
    created_at: str
    up: int
    down: int


@dataclass(frozen=True)
class FlagView:
    id: int
    scope: str
    kind: str
    answer_id: int | None
    user: str | None
    note: str | None
    status: str
    resolved_by: str | None
    resolved_at: str | None
    created_at: str


@dataclass(frozen=True)
class Dashboard:
    per_day: list[tuple[str, int]]
    answered: int
    refused: int
    up: int
    down: int
    median_latency_ms: int
    top_sources: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class LearnerRow:
    scope: str
    user: str
    attempts: int
    mean_score: float
    weak_topics: list[str]


def _in(column: str, scopes: list[str]) -> tuple[str, list[Any]]:
    return f"{column} IN ({','.join('?' * len(scopes))})", list(scopes)


class ConsoleQueries:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def scopes(self) -> list[str]:
        rows = await self._db.fetchall(
            "SELECT scope FROM answers UNION SELECT scope FROM guild_settings UNION SELECT scope FROM flags ORDER BY 1"
        )
        return [r[0] for r in rows]

    async def conversations(self, f: ConversationFilter) -> list[ConversationRow]:
        if not f.scopes:
            return []
        where, args = _in("a.scope", f.scopes)
        for column, op, value in (
            ("a.channel", "=", f.channel), ("a.user", "=", f.user), ("a.created_at", ">=", f.since),
            ("a.created_at", "<", f.until), ("a.confidence", ">=", f.min_confidence),
            ("a.confidence", "<=", f.max_confidence),
        ):
            if value not in (None, ""):
                where += f" AND {column} {op} ?"
                args.append(value)
        if f.refused is not None:
            where += " AND a.refused = ?"
            args.append(int(f.refused))
        if f.search:
            pattern = "%" + f.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where += " AND (a.question LIKE ? ESCAPE '\\' OR a.text LIKE ? ESCAPE '\\')"
            args += [pattern, pattern]
        votes = "SELECT 1 FROM feedback fb WHERE fb.answer_id = a.id"
        where += {"up": f" AND EXISTS ({votes} AND fb.value = 1)", "down": f" AND EXISTS ({votes} AND fb.value = -1)",
                  "none": f" AND NOT EXISTS ({votes})"}.get(f.feedback or "", "")
        # counted per shown row (correlated, on the feedback index): a join grouped over every
        # answer of the scopes before the LIMIT cost 40 ms at 10k conversations, this ~1 ms
        sql = (
            "SELECT a.*,"
            " (SELECT COUNT(*) FROM feedback fb WHERE fb.answer_id = a.id AND fb.value = 1) AS up,"
            " (SELECT COUNT(*) FROM feedback fb WHERE fb.answer_id = a.id AND fb.value = -1) AS down"
            f" FROM answers a WHERE {where} ORDER BY a.id DESC LIMIT ? OFFSET ?"
        )
        args += [f.per_page, (max(1, f.page) - 1) * f.per_page]
        return [
            ConversationRow(r["id"], r["scope"], r["channel"], r["user"], r["question"], r["text"],
                            r["confidence"], bool(r["refused"]), r["backend"], r["latency_ms"], r["created_at"],
                            int(r["up"]), int(r["down"]))
            for r in await self._db.fetchall(sql, args)
        ]

    async def flags(self, scopes: list[str], status: str | None = "open", limit: int = 100) -> list[FlagView]:
        if not scopes:
            return []
        where, args = _in("scope", scopes)
        if status:
            where += " AND status = ?"
            args.append(status)
        rows = await self._db.fetchall(f"SELECT * FROM flags WHERE {where} ORDER BY id DESC LIMIT ?", [*args, limit])
        return [FlagView(r["id"], r["scope"], r["kind"], r["answer_id"], r["user"], r["note"], r["status"],
                         r["resolved_by"], r["resolved_at"], r["created_at"]) for r in rows]

    async def flags_for_answer(self, answer_id: int) -> list[FlagView]:
        rows = await self._db.fetchall("SELECT * FROM flags WHERE answer_id = ? ORDER BY id", (answer_id,))
        return [FlagView(r["id"], r["scope"], r["kind"], r["answer_id"], r["user"], r["note"], r["status"],
                         r["resolved_by"], r["resolved_at"], r["created_at"]) for r in rows]

    async def flag_scope(self, flag_id: int) -> str | None:
        r = await self._db.fetchone("SELECT scope FROM flags WHERE id = ?", (flag_id,))
        return r[0] if r else None

    async def dashboard(self, scopes: list[str], since: str) -> Dashboard:
        if not scopes:
            return Dashboard([], 0, 0, 0, 0, 0)
        where, args = _in("scope", scopes)
        where += " AND created_at >= ?"
        args.append(since)
        per_day = [(r[0], int(r[1])) for r in await self._db.fetchall(
            f"SELECT substr(created_at, 1, 10), COUNT(*) FROM answers WHERE {where} GROUP BY 1 ORDER BY 1", args)]
        totals = await self._db.fetchone(
            f"SELECT COALESCE(SUM(refused = 0), 0), COALESCE(SUM(refused = 1), 0) FROM answers WHERE {where}", args)
        fb = await self._db.fetchone(
            "SELECT COALESCE(SUM(value = 1), 0), COALESCE(SUM(value = -1), 0) FROM feedback WHERE answer_id IN"
            f" (SELECT id FROM answers WHERE {where})", args)
        count = int(totals[0]) + int(totals[1]) if totals is not None else 0
        middle = await self._db.fetchone(  # the median in SQLite: no 10k latencies through Python
            f"SELECT latency_ms FROM answers WHERE {where} ORDER BY latency_ms LIMIT 1 OFFSET ?", [*args, count // 2])
        median = middle[0] if middle is not None else 0
        title = ("COALESCE(NULLIF(json_extract(c.value, '$.title'), ''), NULLIF(json_extract(c.value, '$.source'), ''),"
                 " '?')")
        top = [(str(r[0]), int(r[1])) for r in await self._db.fetchall(
            f"SELECT {title} AS t, COUNT(*) AS n FROM answers,"
            " json_each(CASE WHEN json_valid(answers.citations) THEN answers.citations ELSE '[]' END) c"
            f" WHERE {where} AND refused = 0 AND c.type = 'object'"
            " GROUP BY t ORDER BY n DESC, t LIMIT 8", args)]
        assert totals is not None and fb is not None
        return Dashboard(per_day, int(totals[0]), int(totals[1]), int(fb[0]), int(fb[1]), int(median), top)

    async def learners(self, scopes: list[str], weak_below: float = 0.6) -> list[LearnerRow]:
        if not scopes:
            return []
        where, args = _in("a.scope", scopes)
        rows = await self._db.fetchall(
            "SELECT a.scope, a.user, i.topic, COUNT(*) AS n, AVG(a.score) AS mean FROM quiz_attempts a"
            f" JOIN quiz_items i ON i.id = a.item_id WHERE {where} GROUP BY a.scope, a.user, i.topic"
            " ORDER BY a.scope, a.user", args)
        learners: dict[tuple[str, str], list[tuple[str, int, float]]] = {}
        for r in rows:
            learners.setdefault((r[0], r[1]), []).append((r[2], int(r[3]), float(r[4])))
        out = []
        for (scope, user), topics in learners.items():
            n = sum(t[1] for t in topics)
            mean = sum(t[1] * t[2] for t in topics) / n
            out.append(LearnerRow(scope, user, n, mean, [t[0] or "(any)" for t in topics if t[2] < weak_below]))
        return out
