"""Resumable uploads: create, status, parts at the right offset, resume after a drop, the checks
on the assembled file, size caps, who may append, and cleanup of abandoned sessions."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import func, select

from showcase import db
from showcase.accounts.models import Role
from showcase.evidence.models import Evidence, StoredFile, UploadSession
from showcase.storage import MIN_PART_SIZE
from showcase.storage_ext import get_storage
from tests.factories import api_headers, make_wav
from tests.streams import Drops

PART = MIN_PART_SIZE


@pytest.fixture(scope="module")
def recording() -> bytes:
    return make_wav(2 * PART + 123_456)


@pytest.fixture
def portfolio(make):
    return make.apprenticeship()


@pytest.fixture
def small_parts(app, monkeypatch):
    monkeypatch.setitem(app.config, "RESUMABLE_PART_BYTES", PART)


def create(client, apprenticeship_id: int, name: str, size: int):
    return client.post(
        f"/apprenticeships/{apprenticeship_id}/uploads", json={"filename": name, "size": size}
    )


def send(client, url: str, offset: int, body: bytes):
    return client.patch(
        url,
        data=body,
        headers={
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
            "Accept": "application/json",
        },
    )


def counts() -> tuple[int, int, int]:
    files = db.session.scalar(select(func.count()).select_from(StoredFile))
    items = db.session.scalar(select(func.count()).select_from(Evidence))
    blobs = sum(1 for _ in get_storage().keys("evidence/"))
    return files, items, blobs


def test_resumable_upload_creates_hashed_evidence(login, portfolio, small_parts, recording) -> None:
    client = login(portfolio.apprentice)
    created = create(client, portfolio.id, "Customer call.wav", len(recording))
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert len(body["id"]) == 32 and body["offset"] == 0 and body["part_size"] == PART
    url = body["url"]

    first = send(client, url, 0, recording[:PART])
    assert first.status_code == 200 and first.get_json()["offset"] == PART
    assert first.headers["Upload-Offset"] == str(PART)
    assert client.head(url).headers["Upload-Offset"] == str(PART)

    done = upload_all_from(client, url, recording, PART)
    assert done.status_code == 201, done.get_json()
    evidence = done.get_json()["evidence"]
    item = db.session.get(Evidence, evidence["id"])
    assert item.file.sha256 == hashlib.sha256(recording).hexdigest()
    assert item.file.size == len(recording)
    assert item.file.mime_type == "audio/wav"
    assert item.file.display_name == "Customer call.wav"
    assert item.kind.value == "recording"
    with get_storage().open(item.file.key) as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == item.file.sha256
    status = client.get(url).get_json()
    assert status["complete"] is True and status["evidence"]["id"] == item.id


def upload_all_from(client, url: str, body: bytes, part_size: int, start: int = PART):
    response = None
    for offset in range(start, len(body), part_size):
        response = send(client, url, offset, body[offset : offset + part_size])
    return response


def test_wrong_offset_gets_409_with_the_expected_offset(login, portfolio, small_parts, recording):
    client = login(portfolio.apprentice)
    url = create(client, portfolio.id, "call.wav", len(recording)).get_json()["url"]
    assert send(client, url, 0, recording[:PART]).status_code == 200
    # The client lost the answer and sends the first part again.
    again = send(client, url, 0, recording[:PART])
    assert again.status_code == 409
    assert again.get_json()["offset"] == PART
    assert again.headers["Upload-Offset"] == str(PART)
    ahead = send(client, url, 2 * PART, recording[2 * PART :])
    assert ahead.status_code == 409 and ahead.get_json()["offset"] == PART
    assert upload_all_from(client, url, recording, PART).status_code == 201


def test_dropped_part_is_resumed_from_the_servers_offset(
    app, login, portfolio, small_parts, recording
) -> None:
    client = login(portfolio.apprentice)
    url = create(client, portfolio.id, "call.wav", len(recording)).get_json()["url"]
    assert send(client, url, 0, recording[:PART]).status_code == 200
    part = recording[PART : 2 * PART]
    dropped = client.patch(
        url,
        input_stream=Drops(part, PART // 2),
        headers={"Upload-Offset": str(PART), "Content-Length": str(len(part))},
    )
    assert dropped.status_code >= 400  # nobody reads it: the client has gone
    # The server kept nothing of the broken part: the client resumes where it says.
    assert client.head(url).headers["Upload-Offset"] == str(PART)
    assert upload_all_from(client, url, recording, PART).status_code == 201


def test_refused_content_deletes_everything(login, portfolio, small_parts) -> None:
    client = login(portfolio.apprentice)
    body = b"<!doctype html><html><script>alert(1)</script>" + b" " * (PART + 10)
    before = counts()
    url = create(client, portfolio.id, "page.wav", len(body)).get_json()["url"]
    assert send(client, url, 0, body[:PART]).status_code == 200
    refused = send(client, url, PART, body[PART:])
    assert refused.status_code == 415
    assert refused.get_json()["error"]["message"]
    assert counts() == before
    assert db.session.scalar(select(func.count()).select_from(UploadSession)) == 0
    assert client.head(url).status_code == 404


def test_size_cap_at_create_and_on_every_part(app, login, portfolio, small_parts, monkeypatch):
    client = login(portfolio.apprentice)
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 3 * PART)
    assert create(client, portfolio.id, "big.wav", 3 * PART + 1).status_code == 413
    url = create(client, portfolio.id, "ok.wav", 2 * PART).get_json()["url"]
    too_long = send(client, url, 0, b"\x00" * (PART + 1))
    assert too_long.status_code == 413
    # A lower cap set meanwhile applies to parts still to come.
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", PART)
    assert send(client, url, 0, b"\x00" * PART).status_code == 200
    assert send(client, url, PART, b"\x00" * PART).status_code == 413


def test_short_part_is_refused(login, portfolio, small_parts, recording) -> None:
    client = login(portfolio.apprentice)
    url = create(client, portfolio.id, "call.wav", len(recording)).get_json()["url"]
    assert send(client, url, 0, recording[:100]).status_code == 422
    assert client.head(url).headers["Upload-Offset"] == "0"


def test_only_the_uploader_appends(login, make, portfolio, small_parts, recording):
    apprentice = login(portfolio.apprentice)
    url = create(apprentice, portfolio.id, "call.wav", len(recording)).get_json()["url"]
    apprentice.post("/sign-out")

    # The tutor may start an upload of their own (a staff record, issue 14), never continue
    # the apprentice's.
    tutor = login(portfolio.tutor)
    assert create(tutor, portfolio.id, "call.wav", 10).status_code == 201
    assert send(tutor, url, 0, recording[:PART]).status_code == 403
    tutor.post("/sign-out")

    stranger = login(make.user(Role.APPRENTICE))
    assert create(stranger, portfolio.id, "call.wav", 10).status_code == 404
    assert send(stranger, url, 0, recording[:PART]).status_code == 404
    assert stranger.head(url).status_code == 404


def test_cleanup_aborts_abandoned_uploads(app, login, portfolio, small_parts, recording) -> None:
    client = login(portfolio.apprentice)
    url = create(client, portfolio.id, "call.wav", len(recording)).get_json()["url"]
    assert send(client, url, 0, recording[:PART]).status_code == 200
    upload = db.session.scalar(select(UploadSession))
    storage = get_storage()
    assert storage.list_parts(upload.storage_upload_id, upload.storage_key)
    fresh = create(client, portfolio.id, "new.wav", len(recording)).get_json()["id"]
    upload.updated_at = db.utcnow() - dt.timedelta(hours=49)
    db.session.flush()

    result = app.test_cli_runner().invoke(args=["storage", "cleanup"])
    assert result.exit_code == 0, result.output
    assert "1 abandoned upload" in result.output
    assert db.session.scalar(select(func.count()).select_from(UploadSession)) == 1
    assert db.session.get(UploadSession, fresh) is not None
    assert not any(u.upload_id == upload.storage_upload_id for u in storage.list_multipart())


def test_the_same_protocol_under_the_api(client, portfolio, small_parts, recording) -> None:
    from showcase.accounts.services import create_api_token

    _token, plain = create_api_token(portfolio.apprentice, name="phone")
    auth = {"Authorization": f"Bearer {plain}"}
    created = client.post(
        f"/api/v1/apprenticeships/{portfolio.id}/uploads",
        json={"filename": "call.wav", "size": len(recording)},
        headers=auth,
    )
    assert created.status_code == 201, created.get_json()
    url = created.get_json()["url"]
    assert url.startswith("/api/v1/uploads/")

    def part(offset: int):
        return client.patch(
            url,
            data=recording[offset : offset + PART],
            headers={**auth, "Upload-Offset": str(offset)},
        )

    assert part(0).get_json()["offset"] == PART
    conflict = part(0)
    assert conflict.status_code == 409
    assert conflict.get_json()["offset"] == PART
    assert conflict.get_json()["error"]["code"] == "offset_mismatch"
    assert client.head(url, headers=auth).headers["Upload-Offset"] == str(PART)
    assert client.get(url, headers=auth).get_json()["offset"] == PART
    assert part(PART).status_code == 200
    done = part(2 * PART)
    assert done.status_code == 201, done.get_json()
    item = db.session.get(Evidence, done.get_json()["evidence"]["id"])
    assert item.file.sha256 == hashlib.sha256(recording).hexdigest()
    # Session cookies don't work on the API, tokens don't work on the pages.
    assert client.get(url).status_code == 401


def test_direct_uploads_need_s3(client, portfolio) -> None:
    """With files on the app's own disk there is nowhere else to send parts: 409, and why."""
    answer = client.post(
        f"/api/v1/apprenticeships/{portfolio.id}/direct-uploads",
        json={"filename": "talk.wav", "size": 10_000_000},
        headers=api_headers(portfolio.apprentice),
    )
    assert answer.status_code == 409
    assert "resumable upload" in answer.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(UploadSession)) == 0
