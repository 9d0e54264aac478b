"""Real-documents sets: `docs/` (HTML, markdown, PDF ...) and `questions.jsonl` with gold phrases.

A row is {"id", "question", "gold": [phrase, ...], "doc": file name, "answerable": bool}, and
optionally "also": [file name, ...], other documents that state the same answer. An answer is
correct when it is not refused, states a gold phrase and cites the gold document (or one of "also"). A folder
whose sub-folders are such sets is evaluated as one set over all their documents. An optional
`curated.jsonl` adds curated answers (bot/services/evaluation/curated.py).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.core.assistant import Assistant
from bot.core.config import Settings
from bot.core.types import Question
from bot.services.evaluation.curated import CuratedCase, install, read_curated
from bot.services.evaluation.dataset import EvalError, cache_folder, read_jsonl
from bot.services.evaluation.metrics import (
    CalibrationBin,
    doc_ranking,
    expected_calibration_error,
    has_gold,
    normalize_phrase,
    reliability_bins,
)
from retrieval.config import INDEX_FORMAT
from retrieval.loaders import iter_sources, load
from retrieval.metrics import ndcg_at_k

SCOPE = "eval"
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RealQuestion:
    id: str
    question: str
    gold: tuple[str, ...]
    doc: str | None
    answerable: bool
    lang: str | None = None  # the question's language ("en", "zh"): reported per language when set
    also: tuple[str, ...] = ()  # other documents that state the same answer: citing one is right too

    @property
    def docs(self) -> tuple[str, ...]:
        """Every document whose citation makes a right answer: the gold one first."""
        return (self.doc, *self.also) if self.doc else self.also


@dataclass(frozen=True)
class RealDocsSet:
    name: str
    docs: tuple[Path, ...]
    questions: tuple[RealQuestion, ...]
    curated: tuple[CuratedCase, ...] = ()

    def fingerprint(self) -> str:
        """Of the documents' names and bytes and of what ingest writes (INDEX_FORMAT)."""
        h = hashlib.sha256(f"index-format-{INDEX_FORMAT}".encode())
        for path in sorted(self.docs, key=lambda p: p.name):
            h.update(path.name.encode())
            h.update(path.read_bytes())
        return h.hexdigest()[:12]


def is_realdocs(folder: Path) -> bool:
    """A set itself (questions.jsonl + docs/) or a folder of such sets."""
    return _is_one(folder) or any(_is_one(sub) for sub in _subfolders(folder))


def _is_one(folder: Path) -> bool:
    return (folder / "questions.jsonl").is_file() and (folder / "docs").is_dir()


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def _question(row: dict[str, Any], where: str) -> RealQuestion:
    try:
        answerable = bool(row.get("answerable", True))
        gold = tuple(str(g) for g in row.get("gold") or ())
        if answerable and (not gold or not row.get("doc")):
            raise EvalError(f"{where}: answerable question {row.get('id')} needs gold phrases and a doc")
        lang = str(row["lang"]) if row.get("lang") else None
        also = tuple(str(d) for d in row.get("also") or ())
        return RealQuestion(str(row["id"]), str(row["question"]), gold, row.get("doc"), answerable, lang, also)
    except KeyError as exc:
        raise EvalError(f"{where}: a question lacks {exc.args[0]!r}") from None


def load_realdocs(folder: Path, limit: int | None = None) -> RealDocsSet:
    sets = [folder] if _is_one(folder) else [sub for sub in _subfolders(folder) if _is_one(sub)]
    if not sets:
        raise EvalError(f"{folder} is not a real-documents set (needs questions.jsonl and docs/)")
    docs: list[Path] = []
    questions: list[RealQuestion] = []
    curated: list[CuratedCase] = []
    for one in sets:
        docs += [Path(p) for p in iter_sources([one / "docs"])]
        where = f"{one.name}/questions.jsonl"
        questions += [_question(row, where) for row in read_jsonl(one / "questions.jsonl")]
        curated += read_curated(one)
    names = [p.name for p in docs]
    if len(set(names)) != len(names):
        raise EvalError(f"{folder}: two documents share a file name; citations are matched by name")
    unknown = sorted({d for q in questions for d in q.docs if d not in names})
    if unknown:
        raise EvalError(f"{folder}: questions name documents not in docs/: {', '.join(unknown)}")
    strays = sorted({i for c in curated for i in c.questions} - {q.id for q in questions})
    if strays:
        raise EvalError(f"{folder}: curated answers name questions not in questions.jsonl: {', '.join(strays)}")
    if limit:
        questions = questions[:limit]
    if not docs or not questions:
        raise EvalError(f"{folder} has no documents or no questions")
    return RealDocsSet(folder.name, tuple(docs), tuple(questions), tuple(curated))


def missing_gold(data: RealDocsSet) -> list[str]:
    """'<id>: <phrase>' for each gold phrase none of its documents' extracted texts holds, and
    '<id>: <phrase> (<doc>)' for an "also" document without any of its gold phrases."""
    texts = {p.name: normalize_phrase("\n".join(s.text for s in load(p).sections)) for p in data.docs}
    absent = [f"{q.id}: {g}" for q in data.questions if q.doc for g in q.gold
              if normalize_phrase(g) not in texts[q.doc]]
    return absent + [f"{q.id}: {' / '.join(q.gold)} ({d})" for q in data.questions for d in q.also
                     if not any(normalize_phrase(g) in texts[d] for g in q.gold)]


@dataclass(frozen=True)
class QuestionResult:
    """One question's outcome, as written to the --details file."""

    id: str
    question: str
    answer: str
    confidence: float
    refused: bool
    answerable: bool
    gold_doc: str | None
    cited_docs: tuple[str, ...]
    states_gold: bool  # the shown answer contains a gold phrase
    correct: bool  # answered, states a gold phrase and cites the gold document
    tentative: bool = False  # shown with a warning to check the source
    curated: str | None = None  # the id (in curated.jsonl) of the curated answer given
    lang: str | None = None  # the question's language, when the set names it
    ndcg: float | None = None  # nDCG@10 of the gold document in the search ranking (answerable, lang set)


def judge(q: RealQuestion, answer: str, refused: bool, confidence: float, cited: Sequence[str],
          tentative: bool = False) -> QuestionResult:
    states = not refused and q.answerable and has_gold(answer, q.gold)
    correct = states and any(d in cited for d in q.docs)
    return QuestionResult(q.id, q.question, answer, confidence, refused, q.answerable, q.doc, tuple(cited),
                          states, correct, tentative and not refused)


def judge_curated(q: RealQuestion, answer: str, case: CuratedCase, cited: Sequence[str]) -> QuestionResult:
    """A question a curated answer answered: correct exactly when that curated answer is its gold one."""
    gold = q.id in case.questions
    return QuestionResult(q.id, q.question, answer, 1.0, False, q.answerable, q.doc, tuple(cited), gold, gold,
                          False, case.id)


@dataclass
class RealDocsReport:
    dataset: str
    threshold: float
    questions: int = 0
    answerable: int = 0
    out_of_scope: int = 0
    rates: dict[str, float] = field(default_factory=dict)
    ece: float = 0.0
    calibration: list[CalibrationBin] = field(default_factory=list)
    details: list[QuestionResult] = field(default_factory=list)
    by_language: dict[str, dict[str, float]] = field(default_factory=dict)  # only for sets with `lang`

    def as_json(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"by_language": self.by_language} if self.by_language else {}
        return {"dataset": self.dataset, "questions": self.questions, "answerable": self.answerable,
                "out_of_scope": self.out_of_scope, "threshold": self.threshold, **self.rates, "ece": self.ece,
                **extra}

    def markdown(self) -> str:
        lines = [f"### {self.dataset} ({self.answerable} answerable, {self.out_of_scope} out of scope)", "",
                 "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {v:.3f} |" for k, v in self.rates.items()]
        lines += [f"| ece (10 bins, answered) | {self.ece:.3f} |", "", f"Threshold: {self.threshold:.3f}"]
        if self.by_language:
            lines += ["", "| question language | answerable | out of scope | nDCG@10 | correct with citation "
                      "| out of scope refused |", "|---|---|---|---|---|---|"]
            lines += [f"| {lang} | {int(r['answerable'])} | {int(r['out_of_scope'])} | {r['ndcg@10']:.3f} "
                      f"| {r['correct_with_citation']:.3f} | {r['out_of_scope_refused']:.3f} |"
                      for lang, r in self.by_language.items()]
        return "\n".join(lines)


def per_language(results: Sequence[QuestionResult]) -> dict[str, dict[str, float]]:
    """nDCG@10 and answer rates for each question language (questions without one are left out)."""
    table: dict[str, dict[str, float]] = {}
    for lang in sorted({r.lang for r in results if r.lang}):
        mine = [r for r in results if r.lang == lang]
        ans = [r for r in mine if r.answerable]
        oos = [r for r in mine if not r.answerable]
        ndcgs = [r.ndcg for r in ans if r.ndcg is not None]
        table[lang] = {
            "answerable": len(ans), "out_of_scope": len(oos),
            "ndcg@10": round(sum(ndcgs) / len(ndcgs), 4) if ndcgs else 0.0,
            "correct_with_citation": _rate(sum(r.correct for r in ans), len(ans)),
            "refused_when_answerable": _rate(sum(r.refused for r in ans), len(ans)),
            "out_of_scope_refused": _rate(sum(r.refused for r in oos), len(oos)),
        }
    return table


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def summarize(name: str, results: Sequence[QuestionResult], threshold: float, curated: bool = False) -> RealDocsReport:
    """Rates over answerable questions, out-of-scope ones and shown answers; ECE over shown answers.

    wrong_without_warning: wrong answers shown as sure (not tentative), as a share of all questions.
    """
    ans = [r for r in results if r.answerable]
    oos = [r for r in results if not r.answerable]
    shown = [r for r in results if not r.refused]
    wrong_confident = [r for r in shown if not r.correct and r.confidence >= threshold]
    rates = {
        "correct_with_citation": _rate(sum(r.correct for r in ans), len(ans)),
        "correct_without_citation": _rate(sum(r.states_gold and not r.correct for r in ans), len(ans)),
        "refused_when_answerable": _rate(sum(r.refused for r in ans), len(ans)),
        "out_of_scope_refused": _rate(sum(r.refused for r in oos), len(oos)),
        "wrong_and_confident": _rate(len(wrong_confident), len(shown)),
        "wrong_without_warning": _rate(sum(not r.correct and not r.tentative for r in shown), len(results)),
        "tentative": _rate(sum(r.tentative for r in shown), len(shown)),
        "answered": _rate(len(shown), len(results)),
    }
    if curated:  # only sets with curated answers report them, so other sets' reports keep their shape
        rates["curated_answered"] = _rate(sum(r.curated is not None for r in results), len(results))
    confidences, correct = [r.confidence for r in shown], [r.correct for r in shown]
    return RealDocsReport(
        name, threshold, len(results), len(ans), len(oos), rates,
        round(expected_calibration_error(confidences, correct), 4), reliability_bins(confidences, correct),
        list(results), per_language(results),
    )


def details_jsonl(report: RealDocsReport) -> str:
    """One JSON line per question, for --details."""
    return "".join(json.dumps({**asdict(r), "cited_docs": list(r.cited_docs)}) + "\n" for r in report.details)


def _ingest(assistant: Assistant, data: RealDocsSet) -> None:
    kb = assistant.kbs.get(SCOPE)
    have = {Path(d.source).name for d in kb.list_documents()}
    todo = [p for p in data.docs if p.name not in have]
    if todo:
        report = kb.ingest(todo)
        if report.errors:
            raise EvalError(f"could not index {report.errors[0]['source']}: {report.errors[0]['error']}")


async def open_realdocs(
    settings: Settings, folder: Path, limit: int | None = None
) -> tuple[RealDocsSet, Assistant]:
    """The set and an assistant over its documents, indexed once per set version under DATA_DIR/eval/."""
    data = load_realdocs(folder, limit)
    cache = cache_folder(settings.data_dir, data.name, data.fingerprint(), settings.embedder.model,
                         settings.embedder.runtime)
    settings = settings.updated(**{"data_dir": cache, "limits.max_documents": 0})
    assistant = await Assistant.create(settings)
    try:
        await asyncio.to_thread(_ingest, assistant, data)
    except BaseException:
        await assistant.aclose()
        raise
    return data, assistant


async def _ndcg(assistant: Assistant, q: RealQuestion) -> float | None:
    """nDCG@10 of the gold document among the documents the question's search ranks (None: out of scope)."""
    if not q.answerable or not q.doc:
        return None
    hits = await assistant.search(SCOPE, q.question, 10)
    return ndcg_at_k(doc_ranking([Path(h.source).name for h in hits]), dict.fromkeys(q.docs, 1.0), 10)


async def run_realdocs(
    settings: Settings, folder: Path, *, limit: int | None = None, progress: Progress | None = None,
) -> RealDocsReport:
    data, assistant = await open_realdocs(settings, folder, limit)
    try:
        cases = await install(assistant.store, SCOPE, data.curated)  # none: the previous run's are removed
        results = []
        for i, q in enumerate(data.questions, 1):
            answer = await assistant.answer(Question(q.question, user="eval", scope=SCOPE))
            cited = [Path(c.source).name for c in answer.citations]
            case = cases.get(answer.curated_id) if answer.curated_id is not None else None
            result = (judge_curated(q, answer.text, case, cited) if case is not None else
                      judge(q, answer.text, answer.refused, answer.confidence, cited, answer.tentative))
            if q.lang:
                result = replace(result, lang=q.lang, ndcg=await _ndcg(assistant, q))
            results.append(result)
            if progress:
                progress("answers", i, len(data.questions))
        return summarize(data.name, results, assistant.settings.answering.threshold, curated=bool(data.curated))
    finally:
        await assistant.aclose()
