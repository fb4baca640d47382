"""Nothing half-saved: a client that disconnects mid-upload, a storage that fails, and a crash
between the blob write and the commit, which `flask storage reconcile` finds and fixes."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from showcase import db
from showcase.accounts.models import Role
from showcase.errors import StorageUnavailable
from showcase.evidence.models import Evidence, StoredFile
from showcase.storage import new_key
from showcase.storage_ext import get_storage
from tests.streams import Drops

SAMPLES = Path(__file__).parents[1] / "samples"
TWO_HOURS = 2 * 3600


@pytest.fixture
def portfolio(make):
    return make.apprenticeship()


def counts() -> tuple[int, int, int, int]:
    storage = get_storage()
    files = db.session.scalar(select(func.count()).select_from(StoredFile))
    items = db.session.scalar(select(func.count()).select_from(Evidence))
    blobs = sum(1 for _ in storage.keys("evidence/"))
    staged = sum(1 for _ in storage.staging_dir().iterdir())
    return files, items, blobs, staged


def post(client, apprenticeship_id: int, name: str, **kwargs):
    return client.post(
        f"/apprenticeships/{apprenticeship_id}/evidence/upload",
        headers={"X-Filename": name, "Accept": "application/json", **kwargs.pop("headers")},
        **kwargs,
    )


def test_client_disconnect_mid_upload_leaves_nothing(login, portfolio) -> None:
    client = login(portfolio.apprentice)
    body = (SAMPLES / "sample.mp4").read_bytes()
    before = counts()
    response = post(
        client,
        portfolio.id,
        "clip.mp4",
        input_stream=Drops(body, len(body) // 2),
        headers={"Content-Length": str(len(body))},
    )
    assert response.status_code >= 400
    assert counts() == before


def test_storage_failure_answers_503_and_leaves_nothing(login, portfolio, monkeypatch) -> None:
    storage = get_storage()

    def broken_adopt(key: str, path: Path):
        raise StorageUnavailable("File storage is unavailable: disk full. Try again later.")

    monkeypatch.setattr(storage, "adopt", broken_adopt)
    client = login(portfolio.apprentice)
    before = counts()
    response = post(
        client,
        portfolio.id,
        "till.jpg",
        data=(SAMPLES / "sample.jpg").read_bytes(),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 503
    assert "unavailable" in response.get_json()["error"]["message"]
    assert counts() == before


def test_unexpected_storage_error_answers_500_and_leaves_nothing(
    login, portfolio, monkeypatch
) -> None:
    storage = get_storage()
    monkeypatch.setattr(storage, "adopt", lambda key, path: 1 / 0)
    client = login(portfolio.apprentice)
    before = counts()
    response = post(
        client,
        portfolio.id,
        "till.jpg",
        data=(SAMPLES / "sample.jpg").read_bytes(),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 500
    assert counts() == before


def age(storage, key: str, seconds: int) -> None:
    path = storage.root / key
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_reconcile_reports_and_fixes_a_crash_between_blob_and_commit(app, make) -> None:
    storage = get_storage()
    # The crash: a blob was written, then the process died before its row committed.
    orphan = new_key()
    storage.save(orphan, io.BytesIO(b"written, never committed"))
    age(storage, orphan, TWO_HOURS)
    # An upload in flight right now: its blob is written and its commit is a moment away.
    in_flight = new_key()
    storage.save(in_flight, io.BytesIO(b"commit coming"))
    # A frozen copy for a submitted showcase is never touched here.
    frozen = new_key("frozen")
    storage.save(frozen, io.BytesIO(b"frozen"))
    age(storage, frozen, TWO_HOURS)
    # A row whose blob has gone: reported, never deleted.
    lost = StoredFile(
        key=new_key(),
        size=1,
        sha256="0" * 64,
        mime_type="text/plain",
        display_name="lost.txt",
        uploaded_by_id=make.user(Role.APPRENTICE).id,
    )
    db.session.add(lost)
    db.session.flush()
    stale = storage.staging_dir() / "ingest-crashed.tmp"
    stale.write_bytes(b"half an upload")
    then = time.time() - TWO_HOURS
    os.utime(stale, (then, then))

    runner = app.test_cli_runner()
    report = runner.invoke(args=["storage", "reconcile"])
    assert report.exit_code == 1, report.output  # a missing blob needs a person
    assert f"orphan blob (no row): {orphan}" in report.output
    assert in_flight not in report.output
    assert frozen not in report.output
    assert f"MISSING blob for a row (not changed; restore it from backup): {lost.key}" in (
        report.output
    )
    assert "ingest-crashed.tmp" in report.output
    assert storage.exists(orphan) and stale.exists()

    fixed = runner.invoke(args=["storage", "reconcile", "--fix"])
    assert "1 orphan blob(s) deleted" in fixed.output
    assert not storage.exists(orphan)
    assert not stale.exists()
    assert storage.exists(in_flight) and storage.exists(frozen)
    db.session.expire_all()
    assert db.session.get(StoredFile, lost.id) is not None
    for key in (in_flight, frozen):
        storage.delete(key)
