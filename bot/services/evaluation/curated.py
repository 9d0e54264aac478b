"""Curated answers in a real-documents eval: an optional `curated.jsonl` beside `questions.jsonl`.

A row is {"id", "question", "answer", "paraphrases": [...], "questions": [question ids it is the
gold answer for], "doc": optional file name it cites}. They are loaded into the eval scope before
the questions are asked (replacing the previous run's), so the bot matches them as it would
in production. A question answered by a curated answer is correct when that curated answer is
its gold one (its id is in the row's "questions"), and wrong otherwise — a curated answer is
shown with confidence 1.0, so a wrong match counts as wrong and shown without a warning.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.services.evaluation.dataset import EvalError, read_jsonl
from bot.store import CuratedDraft, DocRef, Store

FILE = "curated.jsonl"
AUTHOR = "eval"


@dataclass(frozen=True)
class CuratedCase:
    id: str
    question: str
    answer: str
    paraphrases: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()  # the eval questions it is the gold answer for
    doc: str | None = None


def _case(row: dict[str, Any], where: str) -> CuratedCase:
    try:
        return CuratedCase(str(row["id"]), str(row["question"]), str(row["answer"]),
                           tuple(str(p) for p in row.get("paraphrases") or ()),
                           tuple(str(q) for q in row.get("questions") or ()), row.get("doc"))
    except KeyError as exc:
        raise EvalError(f"{where}: a curated answer lacks {exc.args[0]!r}") from None


def read_curated(folder: Path) -> list[CuratedCase]:
    """The set's curated answers; none when it has no curated.jsonl."""
    path = folder / FILE
    if not path.is_file():
        return []
    return [_case(row, f"{folder.name}/{FILE}") for row in read_jsonl(path)]


async def install(store: Store, scope: str, cases: Sequence[CuratedCase]) -> dict[int, CuratedCase]:
    """Replace the scope's curated answers with `cases`; the case of each stored id."""
    for old in await store.curated.list(scope):
        await store.curated.delete(scope, old.id, AUTHOR)
    stored: dict[int, CuratedCase] = {}
    for c in cases:
        draft = CuratedDraft(c.question, c.answer, list(c.paraphrases),
                             [DocRef(c.doc, c.doc)] if c.doc else [])
        stored[(await store.curated.add(scope, draft, AUTHOR)).id] = c
    return stored
