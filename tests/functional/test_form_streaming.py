"""The no-script upload form writes each file once: the form parser streams a file part straight
into staging (``StagedUpload``), hashed as it arrives, and ingest adopts that file instead of
copying it. Parts nobody adopts leave nothing in staging."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
import werkzeug.formparser
import werkzeug.wrappers.request
from sqlalchemy import select

from showcase import db
from showcase.evidence.models import Evidence
from showcase.storage.ingest import StagedUpload
from showcase.storage_ext import get_storage

SAMPLES = Path(__file__).parents[1] / "samples"


@pytest.fixture
def portfolio(make):
    return make.apprenticeship()


@pytest.fixture
def no_spooling(monkeypatch):
    """Fail if werkzeug's own file spool is used for a form part."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("a file part was spooled by the form parser")

    monkeypatch.setattr(werkzeug.formparser, "default_stream_factory", refuse)
    monkeypatch.setattr(werkzeug.wrappers.request, "default_stream_factory", refuse)


@pytest.fixture
def claims(monkeypatch) -> list[int]:
    """The sizes of the staged parts ingest claimed (instead of copying a stream)."""
    claimed: list[int] = []
    original = StagedUpload.claim

    def claim(self):
        claimed.append(self.size)
        return original(self)

    monkeypatch.setattr(StagedUpload, "claim", claim)
    return claimed


def staging_files() -> list[Path]:
    return [p for p in get_storage().staging_dir().iterdir() if p.is_file()]


def post_form(client, apprenticeship_id: int, files: list[tuple[bytes, str]]):
    return client.post(
        f"/apprenticeships/{apprenticeship_id}/evidence/upload",
        data={"files": [(io.BytesIO(body), name) for body, name in files]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_form_parts_are_staged_once_and_adopted(login, portfolio, no_spooling, claims) -> None:
    png = (SAMPLES / "sample.png").read_bytes()
    pdf = (SAMPLES / "sample.pdf").read_bytes()
    client = login(portfolio.apprentice)
    response = post_form(client, portfolio.id, [(png, "photo.png"), (pdf, "notes.pdf")])
    assert "2 files added" in response.get_data(as_text=True)
    assert sorted(claims) == sorted([len(png), len(pdf)])
    stored = db.session.scalars(
        select(Evidence).where(Evidence.apprenticeship_id == portfolio.id)
    ).all()
    assert sorted(e.file.sha256 for e in stored) == sorted(
        hashlib.sha256(body).hexdigest() for body in (png, pdf)
    )
    for item in stored:
        with get_storage().open(item.file.key) as blob:
            assert hashlib.sha256(blob.read()).hexdigest() == item.file.sha256
    assert staging_files() == []


def test_a_refused_part_and_a_refused_form_leave_nothing_staged(login, make, portfolio) -> None:
    client = login(portfolio.apprentice)
    response = post_form(client, portfolio.id, [(b"<html><script></script></html>", "x.html")])
    assert "x.html:" in response.get_data(as_text=True)
    assert staging_files() == []

    # Someone else's portfolio: the form is parsed (and its part staged) before the view
    # refuses it; the part goes when the request ends.
    stranger = make.apprenticeship()
    refused = client.post(
        f"/apprenticeships/{stranger.id}/evidence/upload",
        data={"files": [(io.BytesIO((SAMPLES / "sample.png").read_bytes()), "p.png")]},
        content_type="multipart/form-data",
    )
    assert refused.status_code in (403, 404)
    assert staging_files() == []


def test_a_part_over_the_limit_is_refused_while_it_streams(
    app, login, portfolio, monkeypatch
) -> None:
    client = login(portfolio.apprentice)
    limit = 64 * 1024
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", limit)
    response = client.post(
        f"/apprenticeships/{portfolio.id}/evidence/upload",
        data={"files": [(io.BytesIO(b"\0" * (limit * 4)), "big.bin")]},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 413
    assert staging_files() == []
    assert (
        db.session.scalar(select(Evidence).where(Evidence.apprenticeship_id == portfolio.id))
        is None
    )


def test_other_forms_keep_werkzeugs_spool(login, portfolio, claims) -> None:
    """Only the upload endpoints stage parts; a file sent to any other form is not staged."""
    client = login(portfolio.apprentice)
    client.post(
        "/account/tokens",
        data={"name": "x", "stray": (io.BytesIO(b"not an upload"), "stray.txt")},
        content_type="multipart/form-data",
    )
    assert claims == []
    assert staging_files() == []
