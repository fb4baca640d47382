"""A client that announces a body and sends only half of it stores nothing, on every upload path.

Each test sends half of a file over a raw socket to a real gunicorn, then either closes the
socket ("close": a FIN, answer unread), resets it ("reset": an RST) or half-closes it
("half-close": shutdown(SHUT_WR), then reads the answer). Afterwards there must be no evidence
row, no stored file, no part, no staging file, and `flask storage reconcile` has nothing to fix.
A worker killed mid-upload leaves a staging file, which reconcile reports at once and removes
only once it is an hour old.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import delete, func, select

from showcase import db
from showcase.evidence.models import Evidence, StoredFile, UploadSession
from showcase.storage import MIN_PART_SIZE
from showcase.storage_ext import get_storage
from showcase.suggest.models import EvidenceText
from tests.factories import make_wav
from tests.wire.conftest import USER_AGENT, Server

SAMPLES = Path(__file__).parents[1] / "samples"
MP3 = (SAMPLES / "sample.mp3").read_bytes()
MODES = ["close", "reset", "half-close"]
TWO_HOURS = 2 * 3600


def send_half(
    server: Server, method: str, path: str, headers: dict[str, str], body: bytes, mode: str
) -> tuple[int, dict] | None:
    """Announce ``body`` with Content-Length, send its first half, then end as ``mode`` says.

    Returns the (status, JSON) answer for a half-close, None when the socket was dropped.
    """
    head = [f"{method} {path} HTTP/1.1", f"Host: {server.host}:{server.port}"]
    head.append(f"User-Agent: {USER_AGENT}")
    head += [f"{name}: {value}" for name, value in headers.items()]
    head += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    sock = socket.create_connection((server.host, server.port), timeout=30)
    try:
        sock.sendall("\r\n".join(head).encode("latin-1") + body[: len(body) // 2])
        if mode == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return None
        if mode == "close":
            return None
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    finally:
        sock.close()
    status_line, _, rest = answer.partition(b"\r\n")
    _headers, _, payload = rest.partition(b"\r\n\r\n")
    try:
        parsed = json.loads(payload or b"{}")
    except ValueError:
        parsed = {}
    return int(status_line.split()[1]), parsed


def barrier(server: Server) -> None:
    """One sync worker answers in order: once this is answered, the broken request is done."""
    response = requests.get(
        f"{server.url}/api/v1/apprenticeships/{server.apprenticeship_id}/evidence",
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text


def state(server: Server) -> dict[str, int]:
    """Rows, stored objects, parts and staging files as they are now."""
    root = Path(server.app.config["UPLOAD_ROOT"])
    with server.app.app_context():
        storage = get_storage()
        return {
            "files": db.session.scalar(select(func.count()).select_from(StoredFile)),
            "items": db.session.scalar(select(func.count()).select_from(Evidence)),
            "blobs": sum(1 for _ in storage.keys("")),
            "staged": sum(1 for _ in storage.staging_dir().iterdir()),
            "parts": sum(1 for _ in root.glob(".partial/*/*.part")),
        }


def reconcile(server: Server, *args: str):
    with server.app.app_context():
        return server.app.test_cli_runner().invoke(args=["storage", "reconcile", *args])


def assert_nothing_to_fix(server: Server) -> None:
    result = reconcile(server)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output  # only the summary: nothing to report
    assert lines[0].startswith("0 orphan blob(s) found, 0 row(s) with a missing blob"), lines


EMPTY = {"files": 0, "items": 0, "blobs": 0, "staged": 0, "parts": 0}


@pytest.fixture(autouse=True)
def clean(server: Server) -> Iterator[None]:
    """Each test starts from an empty store, whatever the one before left behind."""
    yield
    root = Path(server.app.config["UPLOAD_ROOT"])
    with server.app.app_context():
        # The text read from each item for suggestions hangs off the item: it goes first.
        for model in (EvidenceText, UploadSession, Evidence, StoredFile):
            db.session.execute(delete(model))
        db.session.commit()
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_file() and path.name != ".gitkeep":
            path.unlink()


def expect_refused(answer: tuple[int, dict] | None, mode: str) -> None:
    if mode != "half-close":
        assert answer is None
        return
    status, body = answer
    assert status == 400, body
    assert body["error"]["code"] == "incomplete_body", body
    assert "nothing was stored" in body["error"]["message"]


@pytest.mark.parametrize("mode", MODES)
def test_half_a_raw_api_body_stores_nothing(server: Server, mode: str) -> None:
    answer = send_half(
        server,
        "POST",
        f"/api/v1/apprenticeships/{server.apprenticeship_id}/evidence",
        {
            "Authorization": f"Bearer {server.token}",
            "X-Filename": "talk.mp3",
            "Content-Type": "application/octet-stream",
        },
        MP3,
        mode,
    )
    barrier(server)
    expect_refused(answer, mode)
    assert state(server) == EMPTY
    assert_nothing_to_fix(server)


def test_a_chunked_body_without_its_last_chunk_stores_nothing(server: Server) -> None:
    half = MP3[: len(MP3) // 2]
    head = (
        f"POST /api/v1/apprenticeships/{server.apprenticeship_id}/evidence HTTP/1.1\r\n"
        f"Host: {server.host}:{server.port}\r\nUser-Agent: {USER_AGENT}\r\n"
        f"Authorization: Bearer {server.token}\r\nX-Filename: talk.mp3\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((server.host, server.port), timeout=30) as sock:
        # One chunk of half the file, then the client stops: no "0" chunk ends the body.
        sock.sendall(head.encode() + f"{len(half):x}\r\n".encode() + half + b"\r\n")
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    barrier(server)
    status_line, _, rest = answer.partition(b"\r\n")
    assert int(status_line.split()[1]) == 400, answer
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["error"]["code"] == "incomplete_body"
    assert state(server) == EMPTY
    assert_nothing_to_fix(server)


@pytest.mark.parametrize("mode", MODES)
def test_half_a_raw_page_body_stores_nothing(server: Server, mode: str) -> None:
    answer = send_half(
        server,
        "POST",
        f"/apprenticeships/{server.apprenticeship_id}/evidence/upload",
        {
            "Cookie": server.cookie,
            "X-Filename": "talk.mp3",
            "Content-Type": "application/octet-stream",
            "Accept": "application/json",
        },
        MP3,
        mode,
    )
    barrier(server)
    expect_refused(answer, mode)
    assert state(server) == EMPTY
    assert_nothing_to_fix(server)


@pytest.mark.parametrize("mode", MODES)
def test_half_a_multipart_form_stores_nothing(server: Server, mode: str) -> None:
    boundary = "----showcase-wire-test"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="files"; filename="talk.mp3"\r\n'
            "Content-Type: audio/mpeg\r\n\r\n"
        ).encode()
        + MP3
        + f"\r\n--{boundary}--\r\n".encode()
    )
    answer = send_half(
        server,
        "POST",
        f"/apprenticeships/{server.apprenticeship_id}/evidence/upload",
        {
            "Cookie": server.cookie,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Accept": "application/json",
        },
        body,
        mode,
    )
    barrier(server)
    # The form is parsed through the same length-counting body as every other upload, so a
    # form cut short is refused as what it is, not as a form that chose no file.
    expect_refused(answer, mode)
    assert state(server) == EMPTY
    assert_nothing_to_fix(server)


@pytest.mark.parametrize("mode", MODES)
def test_half_a_resumable_part_stores_nothing(server: Server, mode: str) -> None:
    recording = make_wav(MIN_PART_SIZE + 4096)
    auth = {"Authorization": f"Bearer {server.token}"}
    created = requests.post(
        f"{server.url}/api/v1/apprenticeships/{server.apprenticeship_id}/uploads",
        json={"filename": "call.wav", "size": len(recording)},
        headers=auth,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    url = created.json()["url"]
    answer = send_half(
        server,
        "PATCH",
        urlsplit(url).path,
        {**auth, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        recording[:MIN_PART_SIZE],
        mode,
    )
    barrier(server)
    expect_refused(answer, mode)
    status = requests.head(f"{server.url}{url}", headers=auth, timeout=30)
    assert status.headers["Upload-Offset"] == "0"
    assert state(server) == EMPTY
    assert_nothing_to_fix(server)
    # The client can still resume from where the server says.
    done = requests.patch(
        f"{server.url}{url}",
        data=recording[:MIN_PART_SIZE],
        headers={**auth, "Upload-Offset": "0"},
        timeout=60,
    )
    assert done.status_code == 200, done.text
    requests.patch(
        f"{server.url}{url}",
        data=recording[MIN_PART_SIZE:],
        headers={**auth, "Upload-Offset": str(MIN_PART_SIZE)},
        timeout=60,
    ).raise_for_status()


def test_a_worker_killed_mid_upload_leaves_a_staging_file_reconcile_reports(
    server: Server,
) -> None:
    head = (
        f"POST /api/v1/apprenticeships/{server.apprenticeship_id}/evidence HTTP/1.1\r\n"
        f"Host: {server.host}\r\nAuthorization: Bearer {server.token}\r\n"
        f"X-Filename: talk.mp3\r\nContent-Length: {len(MP3)}\r\n\r\n"
    ).encode()
    staging = Path(server.app.config["UPLOAD_ROOT"]) / ".staging"
    sock = socket.create_connection((server.host, server.port), timeout=30)
    try:
        sock.sendall(head + MP3[: len(MP3) // 2])
        deadline = time.monotonic() + 30
        while not list(staging.glob("ingest-*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = list(staging.glob("ingest-*"))
        assert len(left) == 1, "the upload never reached staging"
        for pid in server.worker_pids():
            os.kill(pid, signal.SIGKILL)
    finally:
        sock.close()
    server.wait_for_worker()
    assert left[0].exists()

    report = reconcile(server)
    assert report.exit_code == 0, report.output
    assert f"in progress or abandoned: {left[0]}" in report.output
    kept = reconcile(server, "--fix")
    assert left[0].exists(), kept.output  # it may still be in progress: an hour's grace
    then = time.time() - TWO_HOURS
    os.utime(left[0], (then, then))
    fixed = reconcile(server, "--fix")
    assert f"stale temp file: {left[0]}" in fixed.output
    assert not left[0].exists()
    assert state(server) == EMPTY
    assert_nothing_to_fix(server)
