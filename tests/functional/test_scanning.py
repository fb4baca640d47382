"""Uploads are scanned by clamd before they are kept: EICAR is refused with a 422 that names it
(API, page script, page form, the last part of a resumable upload) and nothing is stored; with
clamd away uploads answer 503 and store nothing; with scanning off the page says so."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from showcase import db
from showcase.accounts import services as accounts
from showcase.evidence.models import Evidence, StoredFile, UploadSession
from showcase.storage import MIN_PART_SIZE, LocalStorage
from showcase.storage.scan import build_scanner
from showcase.storage_ext import get_storage
from tests.scanning import FINDING, dead_socket, eicar

SAMPLES = Path(__file__).parents[1] / "samples"
NOT_SCANNED = "Files are not checked for viruses on this server"
PART = MIN_PART_SIZE


@pytest.fixture
def portfolio(make):
    return make.apprenticeship()


def _use_scanner(app, monkeypatch, **config: object) -> None:
    """Switch the app's scanner as its configuration would: AV and the socket, then rebuild."""
    for name, value in config.items():
        monkeypatch.setitem(app.config, name, value)
    monkeypatch.setitem(app.extensions, "showcase.scanner", build_scanner(app.config))


@pytest.fixture
def scanning(app, monkeypatch, clamd_socket: str) -> None:
    """The session's app with AV=clamd, scanning through the session's private clamd."""
    _use_scanner(app, monkeypatch, AV="clamd", CLAMD_SOCKET=clamd_socket)


@pytest.fixture
def clamd_down(app, monkeypatch, tmp_path: Path) -> None:
    """AV=clamd, but nothing listens on the socket."""
    _use_scanner(app, monkeypatch, AV="clamd", CLAMD_SOCKET=dead_socket(tmp_path))


def counts() -> tuple[int, int, int, int, frozenset[str]]:
    """StoredFile rows, Evidence rows, UploadSession rows, every blob, and the leftover files
    (staging and local parts; other tests' unfinished uploads may lie there: compare, not count)."""
    storage = get_storage()
    files = db.session.scalar(select(func.count()).select_from(StoredFile))
    items = db.session.scalar(select(func.count()).select_from(Evidence))
    sessions = db.session.scalar(select(func.count()).select_from(UploadSession))
    blobs = sum(1 for _ in storage.keys(prefix=""))
    leftovers = {p.name for p in storage.staging_dir().iterdir()}
    if isinstance(storage, LocalStorage) and (storage.root / ".partial").exists():
        leftovers |= {f".partial/{p.name}" for p in (storage.root / ".partial").iterdir()}
    return files, items, sessions, blobs, frozenset(leftovers)


def assert_nothing_left(before: tuple[int, int, int, int, frozenset[str]]) -> None:
    assert counts() == before


def api_upload(client, user, apprenticeship_id: int, name: str, body: bytes):
    _token, plain = accounts.create_api_token(user, name="scan-test")
    return client.post(
        f"/api/v1/apprenticeships/{apprenticeship_id}/evidence",
        data=body,
        headers={"Authorization": f"Bearer {plain}", "X-Filename": name},
    )


def page_upload(client, apprenticeship_id: int, name: str, body: bytes):
    """What the upload page's script sends: the raw body, one file per request."""
    return client.post(
        f"/apprenticeships/{apprenticeship_id}/evidence/upload",
        data=body,
        headers={
            "X-Filename": name,
            "Content-Type": "application/octet-stream",
            "Accept": "application/json",
        },
    )


def resumable_upload(client, apprenticeship_id: int, name: str, body: bytes):
    """Create a resumable upload and send every part; return the answer to the last one."""
    created = client.post(
        f"/apprenticeships/{apprenticeship_id}/uploads", json={"filename": name, "size": len(body)}
    )
    assert created.status_code == 201, created.get_json()
    url = created.get_json()["url"]
    part_size = created.get_json()["part_size"]
    response = None
    for offset in range(0, len(body), part_size):
        response = client.patch(
            url,
            data=body[offset : offset + part_size],
            headers={
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
                "Accept": "application/json",
            },
        )
        if offset + part_size < len(body):
            assert response.status_code == 200, response.get_json()
    if response.status_code >= 400:
        # Refused after the parts were joined: nothing is left to resume.
        assert client.head(url).status_code == 404
    return response


def assert_malware_refusal(response) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    error = response.get_json()["error"]
    assert error["code"] == "malware_found"
    assert FINDING in error["message"] and "nothing was stored" in error["message"]


def test_api_upload_of_eicar_is_refused_and_names_it(client, portfolio, scanning) -> None:
    before = counts()
    response = api_upload(client, portfolio.apprentice, portfolio.id, "notes.txt", eicar())
    assert_malware_refusal(response)
    assert_nothing_left(before)


def test_page_upload_of_eicar_is_refused_and_names_it(login, portfolio, scanning) -> None:
    client = login(portfolio.apprentice)
    before = counts()
    assert_malware_refusal(page_upload(client, portfolio.id, "notes.txt", eicar()))
    assert_nothing_left(before)


def test_form_upload_refuses_eicar_and_keeps_the_clean_file(login, portfolio, scanning) -> None:
    client = login(portfolio.apprentice)
    files, items, sessions, blobs, leftovers = counts()
    clean = (SAMPLES / "sample.txt").read_bytes()
    response = client.post(
        f"/apprenticeships/{portfolio.id}/evidence/upload",
        data={"files": [(io.BytesIO(eicar()), "eicar.txt"), (io.BytesIO(clean), "notes.txt")]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    # The form reports each file on the page it returns to: one refused file loses no other.
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"eicar.txt: The virus scanner found {FINDING}" in page
    assert "1 file added" in page
    assert counts() == (files + 1, items + 1, sessions, blobs + 1, leftovers)
    stored = db.session.scalars(select(StoredFile).order_by(StoredFile.id.desc())).first()
    assert stored.display_name == "notes.txt"
    assert not any(get_storage().staging_dir().iterdir())


def test_resumable_upload_with_eicar_in_its_last_part_is_refused(
    login, portfolio, scanning
) -> None:
    client = login(portfolio.apprentice)
    before = counts()
    # Two parts of plain text; the test file sits in the second.
    body = b"Notes from the call.\n" * (PART // 21 + 1) + eicar()
    assert len(body) > PART
    assert_malware_refusal(resumable_upload(client, portfolio.id, "notes.txt", body))
    assert_nothing_left(before)


def test_clean_files_are_still_accepted(login, client, portfolio, scanning) -> None:
    pdf = (SAMPLES / "sample.pdf").read_bytes()
    api = api_upload(client, portfolio.apprentice, portfolio.id, "statement.pdf", pdf)
    assert api.status_code == 201, api.get_json()
    login(portfolio.apprentice)
    page = page_upload(client, portfolio.id, "photo.jpg", (SAMPLES / "sample.jpg").read_bytes())
    assert page.status_code == 201, page.get_json()
    resumable = resumable_upload(client, portfolio.id, "notes.txt", b"Clean notes.\n" * 500_000)
    assert resumable.status_code == 201, resumable.get_json()
    # Scanning on: the upload page makes no "not scanned" remark.
    new = client.get(f"/apprenticeships/{portfolio.id}/evidence/new").get_data(as_text=True)
    assert NOT_SCANNED not in new


@pytest.mark.parametrize("route", ["api", "page", "resumable"])
def test_clamd_unreachable_answers_503_and_stores_nothing(
    login, client, portfolio, clamd_down, route: str
) -> None:
    pdf = (SAMPLES / "sample.pdf").read_bytes()
    before = counts()
    if route == "api":
        response = api_upload(client, portfolio.apprentice, portfolio.id, "statement.pdf", pdf)
    elif route == "page":
        response = page_upload(login(portfolio.apprentice), portfolio.id, "statement.pdf", pdf)
    else:
        response = resumable_upload(login(portfolio.apprentice), portfolio.id, "statement.pdf", pdf)
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    error = response.get_json()["error"]
    assert error["code"] == "scanner_unavailable" and "nothing was stored" in error["message"]
    assert_nothing_left(before)


def test_scanning_off_accepts_files_and_the_page_says_so(login, portfolio) -> None:
    client = login(portfolio.apprentice)
    page = client.get(f"/apprenticeships/{portfolio.id}/evidence/new").get_data(as_text=True)
    assert NOT_SCANNED in page
    response = page_upload(client, portfolio.id, "notes.txt", eicar())
    assert response.status_code == 201, response.get_json()
