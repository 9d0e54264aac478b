"""The moderator console's read-only queries on PostgreSQL (rows and rules: bot/store/console_queries.py).

Every query takes the scopes the caller may see and filters on them; an empty list sees nothing.
Text sorts bytewise (COLLATE "C") and search ignores case (ILIKE), as SQLite's ORDER BY and LIKE do.
"""
from __future__ import annotations

from typing import Any

from bot.store.console_queries import (
    ConsoleQueries,
    ConversationFilter,
    ConversationRow,
    Dashboard,
    FlagView,
    LearnerRow,
)
from bot.store.postgres.database import PgDatabase


class _Args:
    """Collects query arguments and hands out their $n placeholders."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def _flag(r: Any) -> FlagView:
    return FlagView(r["id"], r["scope"], r["kind"], r["answer_id"], r["user"], r["note"], r["status"],
                    r["resolved_by"], r["resolved_at"], r["created_at"])


class PgConsoleQueries(ConsoleQueries):
    def __init__(self, db: PgDatabase) -> None:
        self._pg = db

    async def scopes(self) -> list[str]:
        rows = await self._pg.fetchall(
            "SELECT scope FROM (SELECT scope FROM answers UNION SELECT scope FROM guild_settings"
            ' UNION SELECT scope FROM flags) s ORDER BY scope COLLATE "C"'
        )
        return [r[0] for r in rows]

    async def conversations(self, f: ConversationFilter) -> list[ConversationRow]:
        if not f.scopes:
            return []
        arg = _Args()
        where = f"a.scope = ANY({arg(list(f.scopes))}::text[])"
        for column, op, value in (
            ("a.channel", "=", f.channel), ('a."user"', "=", f.user), ("a.created_at", ">=", f.since),
            ("a.created_at", "<", f.until), ("a.confidence", ">=", f.min_confidence),
            ("a.confidence", "<=", f.max_confidence),
        ):
            if value not in (None, ""):
                where += f" AND {column} {op} {arg(value)}"
        if f.refused is not None:
            where += f" AND a.refused = {arg(int(f.refused))}"
        if f.search:
            pattern = "%" + f.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            p = arg(pattern)
            where += f" AND (a.question ILIKE {p} ESCAPE '\\' OR a.text ILIKE {p} ESCAPE '\\')"
        votes = "SELECT 1 FROM feedback fb WHERE fb.answer_id = a.id"
        where += {"up": f" AND EXISTS ({votes} AND fb.value = 1)", "down": f" AND EXISTS ({votes} AND fb.value = -1)",
                  "none": f" AND NOT EXISTS ({votes})"}.get(f.feedback or "", "")
        sql = (
            "SELECT a.*,"
            " (SELECT COUNT(*) FROM feedback fb WHERE fb.answer_id = a.id AND fb.value = 1) AS up,"
            " (SELECT COUNT(*) FROM feedback fb WHERE fb.answer_id = a.id AND fb.value = -1) AS down"
            f" FROM answers a WHERE {where} ORDER BY a.id DESC"
            f" LIMIT {arg(f.per_page)} OFFSET {arg((max(1, f.page) - 1) * f.per_page)}"
        )
        return [
            ConversationRow(r["id"], r["scope"], r["channel"], r["user"], r["question"], r["text"],
                            r["confidence"], bool(r["refused"]), r["backend"], r["latency_ms"], r["created_at"],
                            int(r["up"]), int(r["down"]))
            for r in await self._pg.fetchall(sql, arg.values)
        ]

    async def flags(self, scopes: list[str], status: str | None = "open", limit: int = 100) -> list[FlagView]:
        if not scopes:
            return []
        arg = _Args()
        where = f"scope = ANY({arg(list(scopes))}::text[])"
        if status:
            where += f" AND status = {arg(status)}"
        rows = await self._pg.fetchall(f"SELECT * FROM flags WHERE {where} ORDER BY id DESC LIMIT {arg(limit)}",
                                       arg.values)
        return [_flag(r) for r in rows]

    async def flags_for_answer(self, answer_id: int) -> list[FlagView]:
        rows = await self._pg.fetchall("SELECT * FROM flags WHERE answer_id = $1 ORDER BY id", (answer_id,))
        return [_flag(r) for r in rows]

    async def flag_scope(self, flag_id: int) -> str | None:
        r = await self._pg.fetchone("SELECT scope FROM flags WHERE id = $1", (flag_id,))
        return r[0] if r else None

    async def dashboard(self, scopes: list[str], since: str) -> Dashboard:
        if not scopes:
            return Dashboard([], 0, 0, 0, 0, 0)
        where, args = "scope = ANY($1::text[]) AND created_at >= $2", [list(scopes), since]
        per_day = [(r[0], int(r[1])) for r in await self._pg.fetchall(
            f"SELECT substr(created_at, 1, 10), COUNT(*) FROM answers WHERE {where} GROUP BY 1 ORDER BY 1", args)]
        totals = await self._pg.fetchone(
            "SELECT COUNT(*) FILTER (WHERE refused = 0), COUNT(*) FILTER (WHERE refused = 1)"
            f" FROM answers WHERE {where}", args)
        fb = await self._pg.fetchone(
            "SELECT COUNT(*) FILTER (WHERE value = 1), COUNT(*) FILTER (WHERE value = -1) FROM feedback"
            f" WHERE answer_id IN (SELECT id FROM answers WHERE {where})", args)
        count = int(totals[0]) + int(totals[1]) if totals is not None else 0
        middle = await self._pg.fetchone(  # the same median as SQLite's: the middle row, not an average
            f"SELECT latency_ms FROM answers WHERE {where} ORDER BY latency_ms LIMIT 1 OFFSET $3", [*args, count // 2])
        median = middle[0] if middle is not None else 0
        cites = "CASE WHEN jsonb_typeof(a.citations::jsonb) = 'array' THEN a.citations::jsonb ELSE '[]'::jsonb END"
        top = [(str(r[0]), int(r[1])) for r in await self._pg.fetchall(
            "SELECT t, COUNT(*) AS n FROM (SELECT COALESCE(NULLIF(c->>'title', ''), NULLIF(c->>'source', ''), '?')"
            f' COLLATE "C" AS t FROM answers a CROSS JOIN LATERAL jsonb_array_elements({cites}) c'
            " WHERE a.scope = ANY($1::text[]) AND a.created_at >= $2 AND a.refused = 0"
            " AND jsonb_typeof(c) = 'object') s GROUP BY t ORDER BY n DESC, t LIMIT 8", args)]
        assert totals is not None and fb is not None
        return Dashboard(per_day, int(totals[0]), int(totals[1]), int(fb[0]), int(fb[1]), int(median), top)

    async def learners(self, scopes: list[str], weak_below: float = 0.6) -> list[LearnerRow]:
        if not scopes:
            return []
        rows = await self._pg.fetchall(
            'SELECT a.scope, a."user", i.topic, COUNT(*) AS n, AVG(a.score) AS mean FROM quiz_attempts a'
            " JOIN quiz_items i ON i.id = a.item_id WHERE a.scope = ANY($1::text[])"
            ' GROUP BY a.scope, a."user", i.topic ORDER BY a.scope COLLATE "C", a."user" COLLATE "C"',
            (list(scopes),))
        learners: dict[tuple[str, str], list[tuple[str, int, float]]] = {}
        for r in rows:
            learners.setdefault((r[0], r[1]), []).append((r[2], int(r[3]), float(r[4])))
        out = []
        for (scope, user), topics in learners.items():
            n = sum(t[1] for t in topics)
            mean = sum(t[1] * t[2] for t in topics) / n
            out.append(LearnerRow(scope, user, n, mean, [t[0] or "(any)" for t in topics if t[2] < weak_below]))
        return out
