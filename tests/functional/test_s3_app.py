"""The whole app on S3: an app built with STORAGE_BACKEND=s3 against moto's server mode over
real HTTP; uploads land in the bucket, downloads are presigned redirects, and resumable uploads
go through S3's native multipart API."""

from __future__ import annotations

import hashlib
import io
import wave
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from showcase import db
from showcase.evidence.models import Evidence
from showcase.storage import MIN_PART_SIZE, S3Storage
from showcase.storage_ext import get_storage
from tests.s3server import APP_PREFIX

SAMPLES = Path(__file__).parents[1] / "samples"
PREFIX = APP_PREFIX


@pytest.fixture(scope="module")
def app(s3_app: Flask) -> Flask:
    """Overrides the harness's app: the same, but storing files in S3."""
    return s3_app


@pytest.fixture
def portfolio(make):
    return make.apprenticeship()


def stored_bytes(s3_client: Any, bucket: str, key: str) -> bytes:
    return s3_client.get_object(Bucket=bucket, Key=PREFIX + key)["Body"].read()


def test_the_app_uses_s3(app) -> None:
    with app.app_context():
        assert isinstance(get_storage(), S3Storage)


def test_upload_lands_in_the_bucket_and_downloads_by_presigned_url(
    login, portfolio, s3_client, bucket
) -> None:
    client = login(portfolio.apprentice)
    body = (SAMPLES / "sample.mp4").read_bytes()
    response = client.post(
        f"/apprenticeships/{portfolio.id}/evidence/upload",
        data=body,
        headers={
            "X-Filename": "Team%20huddle.mp4",
            "Content-Type": "application/octet-stream",
            "Accept": "application/json",
        },
    )
    assert response.status_code == 201, response.get_json()
    item = db.session.get(Evidence, response.get_json()["id"])
    assert item.file.mime_type == "video/mp4"
    assert item.file.sha256 == hashlib.sha256(body).hexdigest()
    in_bucket = stored_bytes(s3_client, bucket, item.file.key)
    assert in_bucket == body
    assert hashlib.sha256(in_bucket).hexdigest() == item.file.sha256

    served = client.get(f"/evidence/{item.id}/file")
    assert served.status_code == 302
    assert served.headers["Cache-Control"] == "no-store"
    fetched = requests.get(served.headers["Location"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == body
    assert fetched.headers["Content-Type"] == "video/mp4"
    assert fetched.headers["Content-Disposition"] == 'attachment; filename="Team huddle.mp4"'

    inline = client.get(f"/evidence/{item.id}/file?inline=1")
    fetched = requests.get(inline.headers["Location"], timeout=10)
    assert fetched.headers["Content-Disposition"].startswith("inline;")


def test_refused_upload_leaves_nothing_in_the_bucket(login, portfolio, s3_client, bucket) -> None:
    client = login(portfolio.apprentice)
    before = s3_client.list_objects_v2(Bucket=bucket).get("KeyCount", 0)
    response = client.post(
        f"/apprenticeships/{portfolio.id}/evidence/upload",
        data=b"<!doctype html><html><script>alert(1)</script></html>",
        headers={"X-Filename": "page.html", "Accept": "application/json"},
    )
    assert response.status_code == 415
    assert s3_client.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == before


def make_wav(size: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(44100)
        out.writeframes(b"\x00\x01" * ((size - 44) // 2))
    return buffer.getvalue()


def test_resumable_upload_over_s3_multipart(login, portfolio, s3_client, bucket) -> None:
    client = login(portfolio.apprentice)
    body = make_wav(2 * MIN_PART_SIZE + 4321)
    created = client.post(
        f"/apprenticeships/{portfolio.id}/uploads",
        json={"filename": "interview.wav", "size": len(body)},
        headers={"Accept": "application/json"},
    ).get_json()
    url, part = created["url"], created["part_size"]
    assert part == MIN_PART_SIZE
    uploads = s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert any(u["Key"].startswith(PREFIX + "evidence/") for u in uploads)

    def send(offset: int):
        return client.patch(
            url,
            data=body[offset : offset + part],
            headers={"Upload-Offset": str(offset), "Accept": "application/json"},
        )

    assert send(0).status_code == 200
    # A retry after a lost answer: the server says where it is, the client carries on there.
    retry = send(0)
    assert retry.status_code == 409 and retry.get_json()["offset"] == part
    assert send(part).status_code == 200
    done = send(2 * part)
    assert done.status_code == 201, done.get_json()
    item = db.session.get(Evidence, done.get_json()["evidence"]["id"])
    assert item.file.size == len(body)
    assert item.file.sha256 == hashlib.sha256(body).hexdigest()
    assert stored_bytes(s3_client, bucket, item.file.key) == body
    # The staging copy used for sniffing is gone.
    assert not any(get_storage().staging_dir().iterdir())
