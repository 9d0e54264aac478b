"""`ragcord unanswered [list|dismiss|resolve]` on a real data dir: real SQLite, the real embedder."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

from typer.testing import CliRunner

from bot.frontends.cli.app import app
from bot.store import AnswerData, Exchange, Outcome, Store

WIFI = ["What is the wifi password at the venue?", "what's the venue wifi password", "venue wifi password?"]
PARKING = "Is there parking near the venue?"


def cli(data: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(data), "--generator", "extractive", *args])
    return result.exit_code, result.stdout, result.stderr


def seed(data: Path, questions: list[str], scope: str = "guild:1") -> list[int]:
    async def go() -> list[int]:
        store = await Store.open(data / "ragcord.db")
        try:
            return [(await store.record_outcome(Outcome(Exchange(
                scope=scope, user="u1", channel="c", conversation=None, question=q,
                answer=AnswerData(text="I don't know.", citations=[], confidence=0.2, refused=True,
                                  backend="extractive", latency_ms=1))))).answer_id for q in questions]
        finally:
            await store.close()

    return asyncio.run(go())


def topics(data: Path, *args: str) -> list[dict[str, object]]:
    code, out, err = cli(data, "unanswered", *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_list_dismiss_and_resolve_topics(tmp_path: Path) -> None:
    ids = seed(tmp_path, [WIFI[0], PARKING, WIFI[1], WIFI[2]])
    listed = topics(tmp_path, "--scope", "guild:1")  # the old form still lists
    assert [(t["id"], t["count"]) for t in listed] == [(ids[0], 3), (ids[1], 1)]
    assert topics(tmp_path, "list", "--scope", "guild:1") == listed
    assert topics(tmp_path, "--scope", "guild:2") == []

    code, _, err = cli(tmp_path, "unanswered", "dismiss", str(ids[1]), "--scope", "guild:2")
    assert code == 1 and "no open unanswered topic" in err and len(err.strip().splitlines()) == 1
    code, out, _ = cli(tmp_path, "unanswered", "dismiss", str(ids[1]), "--scope", "guild:1", "--json")
    assert code == 0 and json.loads(out) == {"topic": ids[1], "scope": "guild:1", "closed": 1}
    assert [t["id"] for t in topics(tmp_path, "--scope", "guild:1")] == [ids[0]]

    code, _, err = cli(tmp_path, "unanswered", "resolve", str(ids[0]), "  ", "--scope", "guild:1")
    assert code == 1 and "needs an answer" in err and len(err.strip().splitlines()) == 1
    code, out, err = cli(tmp_path, "unanswered", "resolve", str(ids[0]), "It is 'welcome'.", "--scope", "guild:1",
                         "--cite", "Venue=venue.md", "--author", "mod", "--json")
    assert code == 0, err
    row = json.loads(out)
    assert row["answer"] == "It is 'welcome'." and sorted([row["question"], *row["paraphrases"]]) == sorted(WIFI)
    assert row["author"] == "mod" and row["citations"][0]["source"] == "venue.md"
    code, out, _ = cli(tmp_path, "answers", "list", "--scope", "guild:1", "--json")
    assert [r["id"] for r in json.loads(out)] == [row["id"]]
    code, out, _ = cli(tmp_path, "unanswered", "--scope", "guild:1")
    assert code == 0 and "No unanswered questions in guild:1." in out
    code, _, err = cli(tmp_path, "unanswered", "resolve", str(ids[0]), "Again.", "--scope", "guild:1")
    assert code == 1 and "no open unanswered topic" in err  # resolved topics are gone


def test_the_scope_given_before_the_command_is_used(tmp_path: Path) -> None:
    [first] = seed(tmp_path, [PARKING], scope="guild:7")
    code, out, err = cli(tmp_path, "unanswered", "--scope", "guild:7", "--json", "dismiss", str(first))
    assert code == 0, err
    assert json.loads(out) == {"topic": first, "scope": "guild:7", "closed": 1}
    code, out, _ = cli(tmp_path, "unanswered", "--scope", "guild:7", "dismiss", str(first))
    assert code == 1
