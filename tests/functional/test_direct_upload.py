"""Direct uploads: parts go from the client straight to S3 (moto's server, over real HTTP) by
presigned URLs; the app joins them in quarantine and a job checks the file once before it
becomes evidence. Nothing refused is promoted, and nothing is left in quarantine."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from showcase import db, jobs
from showcase.evidence import direct
from showcase.evidence.models import Evidence, UploadSession
from showcase.storage import MIN_PART_SIZE
from tests.factories import api_headers
from tests.s3server import APP_PREFIX

SAMPLES = Path(__file__).parents[1] / "samples"
PREFIX = APP_PREFIX


@pytest.fixture(scope="module")
def app(s3_app: Flask) -> Flask:
    """Overrides the harness's app: files in S3, parts of S3's minimum size."""
    return s3_app


@pytest.fixture
def portfolio(make):
    return make.apprenticeship()


def recording(size: int) -> bytes:
    """A WAV file of ``size`` bytes (a real header, so the content check accepts it)."""
    import struct

    data = size - 44
    header = b"RIFF" + struct.pack("<I", 36 + data) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data"
    header += struct.pack("<I", data)
    return header + bytes(i % 251 for i in range(data))


def b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def quarantined(s3_client: Any, bucket: str) -> list[str]:
    listed = s3_client.list_objects_v2(Bucket=bucket, Prefix=PREFIX + "quarantine/")
    return [item["Key"] for item in listed.get("Contents", [])]


def start(client, portfolio, headers, body: bytes, name: str = "talk.wav") -> dict:
    answer = client.post(
        f"/api/v1/apprenticeships/{portfolio.id}/direct-uploads",
        json={"filename": name, "size": len(body)},
        headers=headers,
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def send_part(client, upload: dict, headers, number: int, data: bytes, declared: bytes = b""):
    """Ask for the part's URL (declaring the SHA-256 of ``declared`` or of the data) and PUT
    the data straight to S3."""
    asked = client.post(
        f"/api/v1/direct-uploads/{upload['id']}/parts/{number}",
        json={"sha256": b64sha(declared or data)},
        headers=headers,
    )
    assert asked.status_code == 200, asked.get_json()
    target = asked.get_json()
    assert target["length"] == len(data)
    put = requests.put(target["url"], data=data, headers=target["headers"], timeout=30)
    assert put.status_code == 200, put.text


def pieces(body: bytes, part_size: int) -> list[bytes]:
    return [body[i : i + part_size] for i in range(0, len(body), part_size)]


def status(client, upload: dict, headers) -> dict:
    answer = client.get(f"/api/v1/direct-uploads/{upload['id']}", headers=headers)
    assert answer.status_code == 200
    return answer.get_json()


def test_parts_go_to_s3_and_the_checked_file_becomes_evidence(
    client, portfolio, s3_client, bucket
) -> None:
    headers = api_headers(portfolio.apprentice)
    body = recording(2 * MIN_PART_SIZE + 12345)
    upload = start(client, portfolio, headers, body)
    assert upload["parts"] == 3 and upload["state"] == "uploading"
    for number, data in enumerate(pieces(body, upload["part_size"]), start=1):
        send_part(client, upload, headers, number, data)
    done = client.post(upload["complete_url"], headers=headers)
    assert done.status_code == 202
    # The check runs as a job once the request commits (in-process on the embedded default).
    finished = status(client, upload, headers)
    assert finished["state"] == "stored", finished
    item = db.session.get(Evidence, finished["evidence_id"])
    assert item.file.sha256 == hashlib.sha256(body).hexdigest()
    assert item.file.size == len(body)
    stored = s3_client.get_object(Bucket=bucket, Key=PREFIX + item.file.key)["Body"].read()
    assert stored == body
    assert not item.file.key.startswith("quarantine/")
    assert quarantined(s3_client, bucket) == []


def test_a_dropped_upload_resumes_from_the_parts_s3_holds(client, portfolio) -> None:
    headers = api_headers(portfolio.apprentice)
    body = recording(2 * MIN_PART_SIZE + 100)
    upload = start(client, portfolio, headers, body)
    parts = pieces(body, upload["part_size"])
    send_part(client, upload, headers, 1, parts[0])
    # The connection drops; the client asks where it was.
    early = client.post(upload["complete_url"], headers=headers)
    assert early.status_code == 409
    assert "2, 3" in early.get_json()["error"]["message"]
    now = status(client, upload, headers)
    assert now["missing"] == [2, 3]
    assert [p["part"] for p in now["received"]] == [1]
    for number in now["missing"]:
        send_part(client, upload, headers, number, parts[number - 1])
    assert client.post(upload["complete_url"], headers=headers).status_code == 202
    assert status(client, upload, headers)["state"] == "stored"


def test_a_part_whose_bytes_differ_from_its_checksum_is_refused(
    client, portfolio, s3_client, bucket
) -> None:
    """Real S3 refuses such a part at once (the checksum is signed into the URL); moto does not
    check it, so this shows the app's own check, which compares every part's SHA-256 with the
    one declared for it while it reads the joined file."""
    headers = api_headers(portfolio.apprentice)
    body = recording(MIN_PART_SIZE + 500)
    upload = start(client, portfolio, headers, body)
    first, last = pieces(body, upload["part_size"])
    send_part(client, upload, headers, 1, first)
    damaged = last[:-1] + bytes([last[-1] ^ 0xFF])
    send_part(client, upload, headers, 2, damaged, declared=last)
    assert client.post(upload["complete_url"], headers=headers).status_code == 202
    outcome = status(client, upload, headers)
    assert outcome["state"] == "refused"
    assert "Part 2 arrived damaged" in outcome["failure"]
    assert outcome["evidence_id"] is None
    assert quarantined(s3_client, bucket) == []


def test_a_refused_file_is_never_promoted(client, portfolio, s3_client, bucket) -> None:
    headers = api_headers(portfolio.apprentice)
    body = b"<html><script>alert(1)</script></html>" * (MIN_PART_SIZE // 30)
    before = db.session.scalar(select(func.count()).select_from(Evidence))
    upload = start(client, portfolio, headers, body, name="page.wav")
    for number, data in enumerate(pieces(body, upload["part_size"]), start=1):
        send_part(client, upload, headers, number, data)
    assert client.post(upload["complete_url"], headers=headers).status_code == 202
    outcome = status(client, upload, headers)
    assert outcome["state"] == "refused"
    assert outcome["failure"]
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == before
    assert quarantined(s3_client, bucket) == []


def test_a_promotion_interrupted_runs_again_to_the_same_result(
    client, portfolio, monkeypatch, s3_client, bucket
) -> None:
    """The worker dies between the upload and the promotion (the job never ran), or during it
    (after the copy, before the commit): running the job again gives one item, once."""
    headers = api_headers(portfolio.apprentice)
    body = recording(MIN_PART_SIZE + 10)
    monkeypatch.setattr(jobs, "enqueue", lambda *args, **kwargs: None)  # the worker is gone
    upload = start(client, portfolio, headers, body)
    for number, data in enumerate(pieces(body, upload["part_size"]), start=1):
        send_part(client, upload, headers, number, data)
    assert client.post(upload["complete_url"], headers=headers).status_code == 202
    assert status(client, upload, headers)["state"] == "checking"
    assert len(quarantined(s3_client, bucket)) == 1

    def crash(*_args, **_kwargs):
        raise RuntimeError("worker killed")

    # Each run in a session of its own, as a worker runs a job.
    monkeypatch.setattr(direct, "add_evidence", crash)
    with pytest.raises(RuntimeError), jobs.own_session():
        direct.promote(upload["id"])
    assert len(quarantined(s3_client, bucket)) == 1  # still there for the next run
    monkeypatch.undo()

    for _ in range(2):  # and again: nothing more happens
        with jobs.own_session():
            assert direct.promote(upload["id"]) == "stored"
    session = db.session.get(UploadSession, upload["id"])
    items = db.session.scalars(select(Evidence).where(Evidence.id == session.evidence_id)).all()
    assert len(items) == 1
    assert items[0].file.sha256 == hashlib.sha256(body).hexdigest()
    assert quarantined(s3_client, bucket) == []


ROLES = ("apprentice", "tutor", "line_manager", "stranger", "assessor", "admin")
#: Expected status per operation, in ROLES order. Starting: the apprentice and their staff add
#: evidence (issue 14); an admin who sees the portfolio may not (403); outsiders get 404. The
#: apprentice's own upload: only they go on with it; parties who see the portfolio get 403.
MATRIX = {
    "start": (201, 201, 201, 404, 404, 403),
    "status": (200, 403, 403, 404, 404, 403),
    "part": (200, 403, 403, 404, 404, 403),
    "complete": (409, 403, 403, 404, 404, 403),  # 409 for the uploader: no part sent yet
}


def people(make, portfolio) -> dict:
    from showcase.accounts.models import Role

    return {
        "apprentice": portfolio.apprentice,
        "tutor": portfolio.tutor,
        "line_manager": portfolio.line_manager,
        "stranger": make.apprenticeship().apprentice,
        "assessor": make.user(Role.ASSESSOR),
        "admin": make.user(Role.ADMIN, portfolio.employer),
    }


@pytest.mark.parametrize("operation", list(MATRIX))
def test_who_may_start_see_and_continue_a_direct_upload(client, make, portfolio, operation):
    who = people(make, portfolio)
    upload = start(client, portfolio, api_headers(portfolio.apprentice), recording(100_000))
    calls = {
        "start": lambda h: client.post(
            f"/api/v1/apprenticeships/{portfolio.id}/direct-uploads",
            json={"filename": "talk.wav", "size": 100_000},
            headers=h,
        ),
        "status": lambda h: client.get(upload["url"], headers=h),
        "part": lambda h: client.post(
            f"{upload['url']}/parts/1", json={"sha256": b64sha(b"x")}, headers=h
        ),
        "complete": lambda h: client.post(upload["complete_url"], headers=h),
    }
    got = tuple(calls[operation](api_headers(who[role])).status_code for role in ROLES)
    assert got == MATRIX[operation]


def test_the_pages_routes_answer_as_the_api_does(login, make, portfolio) -> None:
    """The upload page's own routes (session and CSRF, not a token) use the same checks."""
    who = people(make, portfolio)
    client = login(portfolio.apprentice)
    started = client.post(
        f"/apprenticeships/{portfolio.id}/direct-uploads",
        json={"filename": "talk.wav", "size": 100_000},
        headers={"Accept": "application/json"},
    )
    assert started.status_code == 201
    upload = started.get_json()
    assert upload["url"] == f"/direct-uploads/{upload['id']}"
    client.post("/sign-out")
    for role, expected in (("tutor", 403), ("stranger", 404), ("admin", 403)):
        other = login(who[role])
        answer = other.get(upload["url"], headers={"Accept": "application/json"})
        assert answer.status_code == expected, role
        other.post("/sign-out")


def test_a_malformed_checksum_or_part_number_is_refused(client, portfolio) -> None:
    headers = api_headers(portfolio.apprentice)
    upload = start(client, portfolio, headers, recording(100_000))
    bad = client.post(
        f"/api/v1/direct-uploads/{upload['id']}/parts/1", json={"sha256": "abc"}, headers=headers
    )
    assert bad.status_code == 422
    assert "base64" in bad.get_json()["error"]["message"]
    beyond = client.post(
        f"/api/v1/direct-uploads/{upload['id']}/parts/2",
        json={"sha256": b64sha(b"x")},
        headers=headers,
    )
    assert beyond.status_code == 422


def test_the_evidence_list_says_a_file_is_being_checked(
    login, portfolio, monkeypatch, client
) -> None:
    """Between the last part and the check there is no item yet: the list says so, and only
    to those who add evidence to this portfolio."""
    headers = api_headers(portfolio.apprentice)
    body = recording(MIN_PART_SIZE + 10)
    monkeypatch.setattr(jobs, "enqueue", lambda *args, **kwargs: None)  # the check is queued
    upload = start(client, portfolio, headers, body, name="Complaint call.wav")
    for number, data in enumerate(pieces(body, upload["part_size"]), start=1):
        send_part(client, upload, headers, number, data)
    assert client.post(upload["complete_url"], headers=headers).status_code == 202
    page = login(portfolio.apprentice).get(f"/apprenticeships/{portfolio.id}/evidence")
    assert "Being checked" in page.get_data(as_text=True)
    assert "Complaint call.wav" in page.get_data(as_text=True)
