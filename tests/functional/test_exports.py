"""Exports: a locked showcase and a subject-access export as streamed, verifiable ZIPs."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import Role
from showcase.assessment.models import Assessment, AssessmentStatus
from showcase.audit.models import AuditEntry
from showcase.evidence import services as evidence
from showcase.evidence.models import EvidenceKind
from showcase.storage.base import COPY_CHUNK_SIZE
from showcase.storage_ext import get_storage
from showcase.submissions import services as submissions
from showcase.submissions.services import canonical_json
from tests.factories import api_headers, make_wav, prepare

MIB = 1024 * 1024


def unzip(body: bytes, into: Path) -> Path:
    """Extract with the standard library; return the export's one top-level folder."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None  # every member's CRC is right
        names = archive.namelist()
        assert all(not n.startswith("/") and ".." not in n.split("/") for n in names)
        archive.extractall(into)
    (top,) = {n.split("/", 1)[0] for n in names}
    return into / top


def run_verifier(folder: Path, *args: str) -> subprocess.CompletedProcess:
    # -I -S: isolated, without site-packages, as on a machine with only Python installed.
    return subprocess.run(
        [sys.executable, "-I", "-S", str(folder / "verify.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def lock(journey, draft):
    storage = get_storage()
    submissions.lock_submission(journey[2]["apprentice"], draft, storage=storage, written=[])
    return draft


def with_large_recording(journey, size: int = 3 * MIB + 123):
    """Add a WAV bigger than a few read chunks to the journey's showcase items."""
    item, _ao, people, items = journey
    e = evidence.add_evidence(
        people["apprentice"],
        item,
        storage=get_storage(),
        stream=io.BytesIO(make_wav(size)),
        filename="Team meeting / recap.wav",
        max_bytes=10**8,
        details=evidence.EvidenceDetails(kind=EvidenceKind.RECORDING, title="Team meeting: recap"),
    )
    items.append(e)
    return e


# ---- the done-when test ---------------------------------------------------------------


def test_locked_showcase_exports_verifies_and_names_a_tampered_file(
    login, journey, locked, tmp_path
) -> None:
    client = login(journey[2]["apprentice"])
    response = client.get(f"/submissions/{locked.id}/export.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.get_data()
    assert int(response.headers["Content-Length"]) == len(body)
    assert response.headers["X-Showcase-Fingerprint"] == locked.manifest_sha256

    folder = unzip(body, tmp_path)
    manifest = (folder / "manifest.json").read_bytes()
    # The locked manifest byte for byte: its SHA-256 is the fingerprint the app shows.
    assert manifest == canonical_json(locked.manifest)
    assert hashlib.sha256(manifest).hexdigest() == locked.manifest_sha256
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert names == sorted(
        [
            "README.txt",
            "SHA256SUMS",
            "export.json",
            "index.html",
            "manifest.json",
            "verify.py",
            "evidence/01 sample.mp3",
            "evidence/02 sample.pdf",
        ]
    )

    good = run_verifier(folder, "--fingerprint", locked.manifest_sha256)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "All checks passed" in good.stdout

    recording = folder / "evidence" / "01 sample.mp3"
    data = bytearray(recording.read_bytes())
    data[len(data) // 2] ^= 0x01
    recording.write_bytes(bytes(data))
    bad = run_verifier(folder)
    assert bad.returncode == 1
    failures = [line for line in bad.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failures) == 1 and "evidence/01 sample.mp3" in failures[0], bad.stdout

    # A manifest that is not the locked one fails against the app's fingerprint.
    wrong = run_verifier(folder, "--fingerprint", "0" * 64)
    assert wrong.returncode == 1 and "FAIL  manifest.json" in wrong.stdout


def test_the_export_is_audited_and_the_entry_outlives_the_get(login, journey, locked) -> None:
    client = login(journey[2]["tutor"])
    assert client.get(f"/submissions/{locked.id}/export.zip").status_code == 200
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.submission"))
    assert entry is not None
    assert entry.actor_id == journey[2]["tutor"].id
    assert entry.object_id == locked.id
    assert entry.details["fingerprint"] == locked.manifest_sha256


def test_a_sha256sum_check_agrees(login, journey, locked, tmp_path) -> None:
    folder = unzip(
        login(journey[2]["apprentice"]).get(f"/submissions/{locked.id}/export.zip").get_data(),
        tmp_path,
    )
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


def test_index_shows_items_tags_coverage_and_no_grade_before_assurance(
    login, journey, locked, tmp_path
) -> None:
    folder = unzip(
        login(journey[2]["apprentice"]).get(f"/submissions/{locked.id}/export.zip").get_data(),
        tmp_path,
    )
    page = (folder / "index.html").read_text()
    assert 'href="evidence/01%20sample.mp3"' in page
    assert "Shows I know the business purpose." in page  # the tag's justification
    assert "Coverage on" in page
    assert "Not released" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page


def test_index_shows_the_grade_once_assured(login, journey, locked, tmp_path) -> None:
    people = journey[2]
    db.session.add(
        Assessment(
            submission_id=locked.id,
            assessor_id=people["assessor"].id,
            assigned_by_id=people["ao_admin"].id,
            status=AssessmentStatus.ASSURED,
            final_grade="distinction",
            result={"explanation": ["Every distinction criterion met."]},
        )
    )
    db.session.flush()
    folder = unzip(
        login(people["apprentice"]).get(f"/submissions/{locked.id}/export.zip").get_data(), tmp_path
    )
    page = (folder / "index.html").read_text()
    assert "Distinction" in page and "Every distinction criterion met." in page
    assert "Not released" not in page


# ---- streaming ----------------------------------------------------------------------------


class RecordingStorage:
    """Wraps the app's storage; records every read's size and how many objects are open."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.reads: list[int] = []
        self.open_now = 0
        self.most_open = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    @contextlib.contextmanager
    def open(self, key):
        outer = self

        class Reader:
            def __init__(self, stream) -> None:
                self.stream = stream

            def read(self, size=-1):
                assert size is not None and 0 < size <= COPY_CHUNK_SIZE, size  # never whole
                chunk = self.stream.read(size)
                outer.reads.append(len(chunk))
                return chunk

        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            with self.inner.open(key) as stream:
                yield Reader(stream)
        finally:
            self.open_now -= 1


def test_the_archive_streams_stored_files_in_chunks_one_at_a_time(
    app, login, journey, tmp_path
) -> None:
    wav = with_large_recording(journey)
    draft = lock(journey, prepare(journey))
    recorder = RecordingStorage(app.extensions["showcase.storage"])
    app.extensions["showcase.storage"] = recorder
    try:
        response = login(journey[2]["apprentice"]).get(f"/submissions/{draft.id}/export.zip")
        assert response.status_code == 200
        assert recorder.reads == []  # nothing is read before the body is
        body = response.get_data()
    finally:
        app.extensions["showcase.storage"] = recorder.inner
    assert recorder.most_open == 1
    assert max(recorder.reads) <= COPY_CHUNK_SIZE
    assert sum(recorder.reads) == sum(i.frozen_size for i in draft.items if i.frozen_size)
    folder = unzip(body, tmp_path)
    # A readable name: the title, made safe for every file system, with the file's extension.
    path = folder / "evidence" / "03 Team meeting- recap.wav"
    assert path.stat().st_size == wav.file.size
    assert run_verifier(folder).returncode == 0


# ---- who may export ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("apprentice", 200),
        ("manager", 200),
        ("tutor", 200),
        ("ao_admin", 200),  # the chosen assessment organisation's admin, once locked
        ("other_apprentice", 404),
        ("assessor", 404),  # reads through the assessment, not here
        ("qa", 404),
    ],
)
def test_who_may_export_a_showcase(login, make, journey, locked, who, status) -> None:
    people = dict(journey[2], other_apprentice=make.user(Role.APPRENTICE))
    response = login(people[who]).get(f"/submissions/{locked.id}/export.zip")
    assert response.status_code == status


def test_signed_out_is_sent_to_sign_in(client, locked) -> None:
    response = client.get(f"/submissions/{locked.id}/export.zip")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_draft_cannot_be_exported(login, journey) -> None:
    draft = prepare(journey)
    response = login(journey[2]["apprentice"]).get(f"/submissions/{draft.id}/export.zip")
    assert response.status_code == 409
    assert "locked" in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action.like("export.%"))) is None


def test_every_version_can_be_exported(login, journey, locked, tmp_path) -> None:
    people = journey[2]
    second = submissions.start_version(people["apprentice"], journey[0])
    for gap in submissions.checklist(second).gaps:
        submissions.acknowledge_gap(
            people["tutor"], second, ref=gap.ref, note="Acknowledged again."
        )
    submissions.sign_off(people["manager"], second, confirm=True)
    submissions.sign_off(people["tutor"], second, confirm=True)
    lock(journey, second)
    client = login(people["apprentice"])
    for version in (locked, second):
        response = client.get(f"/submissions/{version.id}/export.zip")
        folder = unzip(response.get_data(), tmp_path / str(version.version))
        assert folder.name.endswith(f"-v{version.version}")
        assert run_verifier(folder, "--fingerprint", version.manifest_sha256).returncode == 0


def test_the_showcase_page_links_to_the_export(login, journey, locked) -> None:
    page = login(journey[2]["tutor"]).get(f"/submissions/{locked.id}").get_data(as_text=True)
    assert f"/submissions/{locked.id}/export.zip" in page


# ---- the subject-access export -----------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("apprentice", 200),
        ("platform_admin", 200),
        ("tutor", 403),  # sees the portfolio, but it is not theirs to take away
        ("manager", 403),
        ("other_apprentice", 404),
    ],
)
def test_who_may_take_a_subject_access_export(login, make, journey, who, status) -> None:
    people = dict(
        journey[2],
        other_apprentice=make.user(Role.APPRENTICE),
        platform_admin=make.user(Role.ADMIN),
    )
    response = login(people[who]).get(f"/apprenticeships/{journey[0].id}/export.zip")
    assert response.status_code == status


def test_subject_access_export_holds_everything_and_verifies(
    login, journey, locked, tmp_path
) -> None:
    item, _ao, people, _items = journey
    withdrawn = evidence.add_evidence(
        people["apprentice"],
        item,
        storage=None,
        stream=None,
        filename=None,
        max_bytes=0,
        details=evidence.EvidenceDetails(
            kind=EvidenceKind.OTHER, title="Withdrawn note", description="Changed my mind."
        ),
    )
    evidence.delete_evidence(people["apprentice"], withdrawn)
    client = login(people["apprentice"])
    page = client.get(f"/apprenticeships/{item.id}").get_data(as_text=True)
    assert f"/apprenticeships/{item.id}/export.zip" in page
    response = client.get(f"/apprenticeships/{item.id}/export.zip")
    assert response.status_code == 200
    body = response.get_data()
    assert int(response.headers["Content-Length"]) == len(body)
    folder = unzip(body, tmp_path)
    fingerprint = response.headers["X-Showcase-Fingerprint"]
    assert hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest() == fingerprint
    result = run_verifier(folder, "--fingerprint", fingerprint)
    assert result.returncode == 0, result.stdout

    def data(name):
        return json.loads((folder / "data" / f"{name}.json").read_text())

    assert data("profile")["person"]["email"] == people["apprentice"].email
    records = data("evidence")
    assert {r["title"] for r in records} >= {"sample", "Withdrawn note"}
    tagged = next(r for r in records if r["tags"])
    assert [e["action"] for e in tagged["tags"][0]["history"]][:2] == ["created", "accepted"]
    assert len(data("reviews")) == 3
    assert data("submissions")[0]["fingerprint_sha256"] == locked.manifest_sha256
    audit = data("audit")
    assert any(e["action"] == "submission.locked" for e in audit)
    assert isinstance(data("notifications"), list)
    for record in records:
        if record["file"]:
            assert (folder / record["file"]["path"]).is_file()
    # The index is in the manifest, so changing it fails the check, naming it.
    (folder / "index.html").write_text("changed")
    bad = run_verifier(folder)
    assert bad.returncode == 1 and "FAIL  index.html" in bad.stdout
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.portfolio"))
    assert entry is not None and entry.details["fingerprint"] == fingerprint


# ---- the API ----------------------------------------------------------------------------


def test_api_exports_and_documents_the_route(client, journey, locked, tmp_path) -> None:
    people = journey[2]
    headers = api_headers(people["apprentice"])
    response = client.get(f"/api/v1/submissions/{locked.id}/export.zip", headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    folder = unzip(response.get_data(), tmp_path / "s")
    assert run_verifier(folder, "--fingerprint", locked.manifest_sha256).returncode == 0
    response = client.get(f"/api/v1/apprenticeships/{journey[0].id}/export.zip", headers=headers)
    assert response.status_code == 200
    tutor = client.get(
        f"/api/v1/apprenticeships/{journey[0].id}/export.zip", headers=api_headers(people["tutor"])
    )
    assert tutor.status_code == 403 and tutor.get_json()["error"]["code"] == "forbidden"
    assert client.get(f"/api/v1/submissions/{locked.id}/export.zip").status_code == 401

    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/submissions/{submission_id}/export.zip"]["get"]
    assert {"200", "401", "403", "404", "409"} <= set(operation["responses"])
    assert "/api/v1/apprenticeships/{apprenticeship_id}/export.zip" in doc["paths"]


def test_api_refuses_a_draft_with_409(client, journey) -> None:
    draft = prepare(journey)
    response = client.get(
        f"/api/v1/submissions/{draft.id}/export.zip", headers=api_headers(journey[2]["apprentice"])
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"
