"""Uploads arrive whole or not at all: a body cut short is refused as such, a client may declare
the file's SHA-256 (RFC 9530 Repr-Digest) and a mismatch stores nothing, resumable uploads check
a digest declared at creation, their creation is audited, and `storage reconcile` with storage
down says so in one line. (Truncation through a real server: tests/wire/.)"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from showcase import db
from showcase.accounts.services import create_api_token
from showcase.audit.models import AuditEntry
from showcase.evidence.models import Evidence, StoredFile, UploadSession
from showcase.storage import MIN_PART_SIZE
from showcase.storage_ext import get_storage
from tests.conftest import built_app
from tests.factories import make_wav
from tests.s3server import free_port
from tests.streams import Drops

SAMPLES = Path(__file__).parents[1] / "samples"
MP3 = (SAMPLES / "sample.mp3").read_bytes()
PDF = (SAMPLES / "sample.pdf").read_bytes()
PART = MIN_PART_SIZE


def digest(data: bytes) -> str:
    return f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode()}:"


@pytest.fixture
def portfolio(make):
    return make.apprenticeship()


@pytest.fixture
def small_parts(app, monkeypatch):
    monkeypatch.setitem(app.config, "RESUMABLE_PART_BYTES", PART)


def counts() -> tuple[int, int, int, int]:
    storage = get_storage()
    return (
        db.session.scalar(select(func.count()).select_from(StoredFile)),
        db.session.scalar(select(func.count()).select_from(Evidence)),
        sum(1 for _ in storage.keys("evidence/")),
        sum(1 for _ in storage.staging_dir().iterdir()),
    )


def upload(client, portfolio, path: str, body, headers: dict[str, str] | None = None):
    """POST a raw body on the page's path or the API's, with the right credentials."""
    headers = {"X-Filename": "talk.mp3", "Accept": "application/json", **(headers or {})}
    if path == "api":
        _token, plain = create_api_token(portfolio.apprentice, name="t")
        headers["Authorization"] = f"Bearer {plain}"
        url = f"/api/v1/apprenticeships/{portfolio.id}/evidence"
    else:
        url = f"/apprenticeships/{portfolio.id}/evidence/upload"
    if isinstance(body, bytes):
        return client.post(url, data=body, headers=headers)
    return client.post(url, input_stream=body, headers=headers)


PATHS = ["page", "api"]


@pytest.mark.parametrize("path", PATHS)
def test_a_matching_repr_digest_is_accepted(login, portfolio, path) -> None:
    client = login(portfolio.apprentice)
    response = upload(client, portfolio, path, MP3, {"Repr-Digest": digest(MP3)})
    assert response.status_code == 201, response.get_json()
    item = db.session.get(Evidence, response.get_json()["id"])
    assert item.file.sha256 == hashlib.sha256(MP3).hexdigest()


@pytest.mark.parametrize("path", PATHS)
def test_a_mismatched_repr_digest_stores_nothing(login, portfolio, path) -> None:
    client = login(portfolio.apprentice)
    before = counts()
    # The first half of the file with the whole file's digest: what a truncation looks like.
    response = upload(client, portfolio, path, MP3[: len(MP3) // 2], {"Repr-Digest": digest(MP3)})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "digest_mismatch"
    assert "nothing was stored" in error["message"]
    assert counts() == before


@pytest.mark.parametrize(
    "value",
    [
        "sha-256=abc",  # not a byte sequence
        "sha-256=:not base64!:",
        "sha-256=:AAAA:",  # 3 bytes, not 32
        "SHA-256=:" + digest(MP3).split(":")[1] + ":",  # keys are lower-case
        "sha-512=:" + base64.b64encode(hashlib.sha512(MP3).digest()).decode() + ":",
    ],
)
def test_a_malformed_or_unchecked_repr_digest_is_refused(login, portfolio, value) -> None:
    client = login(portfolio.apprentice)
    before = counts()
    response = upload(client, portfolio, "api", MP3, {"Repr-Digest": value})
    assert response.status_code == 400, response.get_json()
    assert "Repr-Digest" in response.get_json()["error"]["message"]
    assert counts() == before


def test_other_digests_beside_sha256_are_ignored(login, portfolio) -> None:
    client = login(portfolio.apprentice)
    sha512 = base64.b64encode(hashlib.sha512(b"other").digest()).decode()
    value = f"sha-512=:{sha512}:, {digest(MP3)}"
    assert upload(client, portfolio, "page", MP3, {"Repr-Digest": value}).status_code == 201


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("sample", [MP3, PDF], ids=["mp3", "pdf"])
def test_a_body_cut_short_is_refused_as_incomplete(login, portfolio, path, sample) -> None:
    client = login(portfolio.apprentice)
    before = counts()
    response = upload(
        client,
        portfolio,
        path,
        Drops(sample, len(sample) // 2),
        {"Content-Length": str(len(sample)), "X-Filename": "file.pdf" if sample is PDF else ""},
    )
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "incomplete_body"
    assert "did not arrive complete" in error["message"]
    assert counts() == before


def create(client, portfolio, size: int, headers: dict[str, str] | None = None):
    return client.post(
        f"/apprenticeships/{portfolio.id}/uploads",
        json={"filename": "call.wav", "size": size},
        headers=headers or {},
    )


def send_all(client, url: str, body: bytes):
    response = None
    for offset in range(0, len(body), PART):
        response = client.patch(
            url,
            data=body[offset : offset + PART],
            headers={"Upload-Offset": str(offset), "Accept": "application/json"},
        )
    return response


def test_a_resumable_upload_checks_the_digest_declared_at_creation(
    login, portfolio, small_parts
) -> None:
    recording = make_wav(PART + 4321)
    client = login(portfolio.apprentice)
    created = create(client, portfolio, len(recording), {"Repr-Digest": digest(recording)})
    assert created.status_code == 201, created.get_json()
    upload_row = db.session.get(UploadSession, created.get_json()["id"])
    assert upload_row.sha256 == hashlib.sha256(recording).hexdigest()
    done = send_all(client, created.get_json()["url"], recording)
    assert done.status_code == 201, done.get_json()


def test_a_resumable_upload_whose_file_differs_from_its_digest_stores_nothing(
    login, portfolio, small_parts
) -> None:
    recording = make_wav(PART + 4321)
    other = bytearray(recording)
    other[-1] ^= 1  # one bit differs in the last part
    client = login(portfolio.apprentice)
    before = counts()
    # Other tests' unfinished uploads may lie in the shared store: compare, don't count.
    uploads_before = {m.upload_id for m in get_storage().list_multipart()}
    created = create(client, portfolio, len(recording), {"Repr-Digest": digest(recording)})
    url = created.get_json()["url"]
    refused = send_all(client, url, bytes(other))
    assert refused.status_code == 422, refused.get_json()
    assert refused.get_json()["error"]["code"] == "digest_mismatch"
    assert counts() == before
    assert db.session.scalar(select(func.count()).select_from(UploadSession)) == 0
    assert {m.upload_id for m in get_storage().list_multipart()} == uploads_before


def test_a_malformed_digest_at_creation_starts_nothing(login, portfolio, small_parts) -> None:
    client = login(portfolio.apprentice)
    response = create(client, portfolio, PART + 10, {"Repr-Digest": "sha-256=:AAAA:"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(UploadSession)) == 0


def test_starting_a_resumable_upload_is_audited(login, portfolio, small_parts) -> None:
    recording = make_wav(PART + 10)
    client = login(portfolio.apprentice)
    created = create(client, portfolio, len(recording), {"Repr-Digest": digest(recording)})
    assert created.status_code == 201
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "upload.started"))
    assert entry is not None
    assert entry.actor_id == portfolio.apprentice.id
    assert entry.apprenticeship_id == portfolio.id
    assert entry.details["upload_id"] == created.get_json()["id"]
    assert entry.details["size"] == len(recording)
    assert entry.details["sha256"] == hashlib.sha256(recording).hexdigest()


def test_the_openapi_document_describes_repr_digest(client) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/apprenticeships/{apprenticeship_id}/evidence",
        "/api/v1/apprenticeships/{apprenticeship_id}/uploads",
    ):
        operation = doc["paths"][path]["post"]
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "Repr-Digest" in names, operation


def test_reconcile_with_storage_down_prints_one_line_and_exits_2(database_kind, tmp_path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with built_app(
        database_kind,
        tmp_path,
        "_s3down",
        STORAGE_BACKEND="s3",
        S3_BUCKET="showcase-down",
        S3_ENDPOINT_URL=dead,
        S3_REGION="us-east-1",
        S3_ACCESS_KEY_ID="testing",
        S3_SECRET_ACCESS_KEY="testing",
    ) as down:
        result = down.test_cli_runner().invoke(args=["storage", "reconcile"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "unavailable" in lines[0].lower() or "unreachable" in lines[0].lower()
