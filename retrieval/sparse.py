"""BM25 (bm25s) over chunk texts, keyed by chunk id. Rebuilt whole: bm25s has no incremental add.

Tokens are lower-cased words, English stopwords dropped, Snowball-stemmed
(PyStemmer) so "refunds"/"refunded" meet "refund". The stemmer is recorded
with the saved index, so an index written without one keeps being queried
without one until it is rebuilt.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from . import textlang
from .fsutil import make_temp_dir, publish_dir

# Not model/textutil.words: saved BM25 indexes are tied to this tokenization (bm25s stop words, no apostrophes).
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_IDS_FILE = "chunk_ids.json"


DEFAULT_STEMMER = "english"


def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def _stem_function(language: str | None) -> Callable[[list[str]], list[str]] | None:
    if not language:
        return None
    import Stemmer

    return Stemmer.Stemmer(language).stemWords


class SparseIndex:
    def __init__(self, *, k1: float = 1.2, b: float = 0.75, stemmer: str | None = DEFAULT_STEMMER,
                 segmenter: str | None = textlang.SEGMENTER) -> None:
        self.k1 = k1
        self.b = b
        self.stemmer = stemmer
        self.segmenter = segmenter  # None: an index written before Chinese segmentation
        self._stem = _stem_function(stemmer)
        self._stop = _stopwords()
        self._ids: list[int] = []
        self._retriever = None  # bm25s.BM25 once built with at least one chunk
        # derived from the index, rebuilt lazily after it changes
        self._position: dict[int, int] | None = None
        self._term_max: dict[str, float] = {}

    def tokenize(self, text: str) -> list[str]:
        """Lower-case word tokens, English stopwords and single letters dropped, then stemmed.
        Chinese runs are cut into words (textlang.words); text without CJK tokenizes as before."""
        raw = textlang.words(text) if self.segmenter else _TOKEN.findall(text.lower())
        tokens = [t for t in raw if t not in self._stop and (len(t) > 1 or t.isdigit() or textlang.has_cjk(t))]
        return self._stem(tokens) if self._stem is not None else tokens

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> list[int]:
        return list(self._ids)

    def rebuild(self, ids: Sequence[int], texts: Sequence[str]) -> None:
        import bm25s

        if len(ids) != len(texts):
            raise ValueError("ids and texts differ in length")
        self._ids = [int(i) for i in ids]
        self._retriever = None
        self._forget_derived()
        if not self._ids:
            return
        retriever = bm25s.BM25(k1=self.k1, b=self.b)
        retriever.index([self.tokenize(t) for t in texts], show_progress=False)
        self._retriever = retriever

    def _forget_derived(self) -> None:
        self._position = None
        self._term_max = {}

    # ------------------------------------------------------------ search
    def _query_tokens(self, query: str) -> list[str]:
        if self._retriever is None:
            return []
        vocab = self._retriever.vocab_dict
        return list(dict.fromkeys(t for t in self.tokenize(query) if t in vocab))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every indexed chunk, in `ids` order (zeros when nothing matches)."""
        tokens = self._query_tokens(query)
        if not tokens:
            return np.zeros(len(self._ids), dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    def max_score(self, query: str) -> float:
        """What a chunk matching the whole query at its best would score: each known query
        term's best score, summed, and scaled up by the share of query terms the index has
        never seen (each counted as the mean known term), so a match on the one known word
        of a three-word question is weak evidence, not full marks."""
        if self._retriever is None:
            return 0.0
        all_terms = set(self.tokenize(query))
        known = self._query_tokens(query)
        total = 0.0
        for t in known:
            if t not in self._term_max:  # one full pass per term, once per index version
                self._term_max[t] = float(np.max(self._retriever.get_scores([t])))
            total += self._term_max[t]
        return total * len(all_terms) / len(known) if known else 0.0

    def search(self, query: str, k: int, scores: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top-k chunks; pass `scores` (from `scores(query)`) to avoid scoring the query twice."""
        if k <= 0 or not self._ids:
            return []
        scores = self.scores(query) if scores is None else scores
        positive = np.flatnonzero(scores > 0)
        if len(positive) == 0:
            return []
        if len(positive) > k:
            positive = positive[np.argpartition(-scores[positive], k - 1)[:k]]
        order = positive[np.argsort(-scores[positive], kind="stable")]
        return [(self._ids[i], float(scores[i])) for i in order]

    def scores_for(self, query: str, ids: Iterable[int], scores: np.ndarray | None = None) -> dict[int, float]:
        """Scores of particular chunks (0.0 for unknown ids); used to complete fused candidates."""
        wanted = list(ids)
        if not wanted:
            return {}
        scores = self.scores(query) if scores is None else scores
        if self._position is None:
            self._position = {cid: i for i, cid in enumerate(self._ids)}
        position = self._position
        return {cid: float(scores[position[cid]]) if cid in position else 0.0 for cid in wanted}

    # ------------------------------------------------------------ files
    def save(self, directory: str | Path) -> None:
        """Write into a temp folder beside `directory`, fsync, then rename it into place."""
        final = Path(directory)
        tmp = make_temp_dir(final)
        try:
            if self._retriever is not None:
                self._retriever.save(str(tmp), show_progress=False)
            meta = {"ids": self._ids, "k1": self.k1, "b": self.b, "stemmer": self.stemmer,
                    "segmenter": self.segmenter}
            (tmp / _IDS_FILE).write_text(json.dumps(meta), encoding="utf-8")
            publish_dir(tmp, final)
        except BaseException:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def load(cls, directory: str | Path) -> SparseIndex:
        import bm25s

        directory = Path(directory)
        meta_path = directory / _IDS_FILE
        if not meta_path.is_file():
            raise FileNotFoundError(f"no sparse index at {directory}")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        self = cls(k1=meta.get("k1", 1.2), b=meta.get("b", 0.75), stemmer=meta.get("stemmer"),
                   segmenter=meta.get("segmenter"))
        self._ids = [int(i) for i in meta["ids"]]
        if self._ids:
            self._retriever = bm25s.BM25.load(str(directory), show_progress=False, verbosity=0)
        return self
