"""Evidence through the pages' endpoints: streamed uploads, refusals that leave nothing behind,
tags and their review, serving with Range, the lock, and per-object access."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from showcase import db
from showcase.accounts.models import Role
from showcase.evidence.models import Evidence, EvidenceKind, StoredFile, TagEvent, TagStatus
from showcase.storage_ext import get_storage

SAMPLES = Path(__file__).parents[1] / "samples"
ALLOWED = sorted(p.name for p in SAMPLES.iterdir() if p.name.startswith("sample"))


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


def counts() -> tuple[int, int, int]:
    files = db.session.scalar(select(func.count()).select_from(StoredFile))
    items = db.session.scalar(select(func.count()).select_from(Evidence))
    blobs = sum(1 for _ in get_storage().keys("evidence/"))
    return files, items, blobs


@pytest.fixture
def portfolio(make):
    return make.apprenticeship()


@pytest.mark.parametrize("name", ALLOWED)
def test_every_allowed_sample_is_stored_hashed_and_listed(login, portfolio, name: str) -> None:
    import hashlib

    client = login(portfolio.apprentice)
    body = (SAMPLES / name).read_bytes()
    response = upload(client, portfolio.id, name, body)
    assert response.status_code == 201, response.get_json()
    item = db.session.get(Evidence, response.get_json()["id"])
    assert item.file.sha256 == hashlib.sha256(body).hexdigest()
    assert item.file.size == len(body)
    with get_storage().open(item.file.key) as stored:
        assert stored.read() == body
    listing = client.get(f"/apprenticeships/{portfolio.id}/evidence").get_data(as_text=True)
    assert item.title in listing


HOSTILE = {
    "program.exe": b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200 + b"This program cannot be run",
    "page.html": b"<!doctype html><html><script>alert(1)</script></html>",
    "image.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "empty.pdf": b"",
    "archive.zip": b"PK\x05\x06" + b"\x00" * 18,
    "script.sh": b"#!/bin/sh\nrm -rf /\n",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_uploads_are_refused_and_leave_nothing(login, portfolio, name: str) -> None:
    client = login(portfolio.apprentice)
    before = counts()
    response = upload(client, portfolio.id, name, HOSTILE[name])
    assert response.status_code == 415
    assert response.get_json()["error"]["message"]
    assert counts() == before
    assert not any(get_storage().staging_dir().iterdir())


def test_extension_must_agree_with_content(login, portfolio) -> None:
    client = login(portfolio.apprentice)
    response = upload(client, portfolio.id, "statement.pdf", (SAMPLES / "sample.jpg").read_bytes())
    assert response.status_code == 415
    assert "JPEG" in response.get_json()["error"]["message"]


def test_oversize_upload_is_refused_with_413(app, login, portfolio, monkeypatch) -> None:
    client = login(portfolio.apprentice)
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 1024)
    before = counts()
    response = upload(client, portfolio.id, "big.txt", b"a" * 5000)
    assert response.status_code == 413
    assert "larger than the 1 KB limit" in response.get_json()["error"]["message"]
    assert counts() == before


def test_failed_commit_deletes_the_blob(app, login, portfolio, monkeypatch) -> None:
    client = login(portfolio.apprentice)
    before = set(get_storage().keys("evidence/"))
    at_commit: list[set[str]] = []

    def broken_commit() -> None:
        # The upload reached its commit with its blob stored: without this the test would also
        # pass for an upload that failed before storing anything.
        at_commit.append(set(get_storage().keys("evidence/")) - before)
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.get_session().__class__, "commit", lambda self: broken_commit())
    response = upload(client, portfolio.id, "photo.jpg", (SAMPLES / "sample.jpg").read_bytes())
    assert response.status_code == 500
    monkeypatch.undo()
    assert len(at_commit) == 1 and len(at_commit[0]) == 1, at_commit
    (written,) = at_commit[0]
    assert not get_storage().exists(written)
    assert set(get_storage().keys("evidence/")) == before


def test_multipart_fallback_keeps_good_files_and_explains_bad_ones(login, portfolio) -> None:
    client = login(portfolio.apprentice)
    response = client.post(
        f"/apprenticeships/{portfolio.id}/evidence/upload",
        data={
            "files": [
                (io.BytesIO((SAMPLES / "sample.png").read_bytes()), "ok.png"),
                (io.BytesIO(HOSTILE["page.html"]), "bad.html"),
            ]
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "1 file added" in page
    assert "bad.html:" in page


def test_the_apprentice_and_their_staff_upload_others_do_not(login, make, portfolio) -> None:
    # Staff record evidence in the learner's portfolio (issue 14): a tutor's upload is an
    # observation record they recorded; the employer's admin, who sees the portfolio, may not.
    client = login(portfolio.tutor)
    response = upload(client, portfolio.id, "a.txt", b"hello there, this is text")
    assert response.status_code == 201
    item = db.session.get(Evidence, response.get_json()["id"])
    assert item.recorded_by_id == portfolio.tutor_id
    assert item.kind is EvidenceKind.OBSERVATION_RECORD
    client.post("/sign-out")
    admin = login(make.user(Role.ADMIN, portfolio.employer))
    assert upload(admin, portfolio.id, "a.txt", b"hello there, this is text").status_code == 403


def test_strangers_get_404(login, make, portfolio) -> None:
    client = login(make.user(Role.APPRENTICE))
    assert upload(client, portfolio.id, "a.txt", b"hello there").status_code == 404
    assert client.get(f"/apprenticeships/{portfolio.id}/evidence").status_code == 404


@pytest.fixture
def photo(login, portfolio) -> Evidence:
    client = login(portfolio.apprentice)
    response = upload(client, portfolio.id, "till.jpg", (SAMPLES / "sample.jpg").read_bytes())
    client.post("/sign-out")
    return db.session.get(Evidence, response.get_json()["id"])


def test_file_is_served_with_sniffed_type_and_safe_headers(login, portfolio, photo) -> None:
    client = login(portfolio.line_manager)
    response = client.get(f"/evidence/{photo.id}/file")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    inline = client.get(f"/evidence/{photo.id}/file?inline=1")
    assert inline.headers["Content-Disposition"].startswith("inline;")


def test_range_requests(login, portfolio, photo) -> None:
    client = login(portfolio.apprentice)
    body = (SAMPLES / "sample.jpg").read_bytes()
    response = client.get(f"/evidence/{photo.id}/file", headers={"Range": "bytes=10-19"})
    assert response.status_code == 206
    assert response.data == body[10:20]
    assert response.headers["Content-Range"] == f"bytes 10-19/{len(body)}"
    tail = client.get(f"/evidence/{photo.id}/file", headers={"Range": "bytes=-5"})
    assert tail.data == body[-5:]
    bad = client.get(f"/evidence/{photo.id}/file", headers={"Range": f"bytes={len(body) + 5}-"})
    assert bad.status_code == 416


def test_text_file_is_never_served_inline(login, portfolio) -> None:
    client = login(portfolio.apprentice)
    response = upload(client, portfolio.id, "notes.txt", b"Customer thanked me for my help today.")
    item_id = response.get_json()["id"]
    served = client.get(f"/evidence/{item_id}/file?inline=1")
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert served.headers["Content-Type"].startswith("text/plain")


FIRST_UNIT = "ST0072/knowing-your-customers/1.1"


def test_tag_review_and_history(login, portfolio, photo) -> None:
    client = login(portfolio.apprentice)
    response = client.post(
        f"/evidence/{photo.id}/tags",
        data={
            "tag-reference": FIRST_UNIT,
            "tag-justification": "I explained who our customers are.",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    item = db.session.get(Evidence, photo.id)
    (tag,) = item.tags
    assert tag.status is TagStatus.PENDING
    client.post("/sign-out")

    tutor = login(portfolio.tutor)
    refused = tutor.post(f"/tags/{tag.id}/review", data={"review-decision": "send_back"})
    assert refused.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(tag), tag.id).status is TagStatus.PENDING  # needs a comment
    tutor.post(
        f"/tags/{tag.id}/review",
        data={"review-decision": "send_back", "review-comment": "Add your manager's statement."},
    )
    db.session.expire_all()
    assert db.session.get(type(tag), tag.id).status is TagStatus.SENT_BACK
    tutor.post(f"/tags/{tag.id}/review", data={"review-decision": "accept"})
    db.session.expire_all()
    assert db.session.get(type(tag), tag.id).status is TagStatus.ACCEPTED
    actions = db.session.scalars(
        select(TagEvent.action).where(TagEvent.tag_id == tag.id).order_by(TagEvent.id)
    ).all()
    assert actions == ["created", "sent_back", "accepted"]


def test_apprentice_cannot_review_and_tutor_cannot_tag(login, portfolio, photo) -> None:
    apprentice = login(portfolio.apprentice)
    apprentice.post(
        f"/evidence/{photo.id}/tags",
        data={
            "tag-reference": FIRST_UNIT,
            "tag-justification": "I explained who our customers are.",
        },
    )
    db.session.expire_all()
    (tag,) = db.session.get(Evidence, photo.id).tags
    assert (
        apprentice.post(f"/tags/{tag.id}/review", data={"review-decision": "accept"}).status_code
        == 403
    )
    apprentice.post("/sign-out")
    tutor = login(portfolio.tutor)
    response = tutor.post(
        f"/evidence/{photo.id}/tags",
        data={"tag-reference": FIRST_UNIT, "tag-justification": "tutor tagging on their behalf"},
    )
    assert response.status_code == 403


def test_a_removed_tag_is_neither_edited_nor_reviewed(portfolio) -> None:
    from showcase.errors import Conflict
    from showcase.evidence import services

    item = services.add_evidence(
        portfolio.apprentice,
        portfolio,
        storage=None,
        stream=None,
        filename=None,
        max_bytes=1,
        details=services.EvidenceDetails(title="Account", description="What I did."),
    )
    tag = services.tag_evidence(
        portfolio.apprentice, item, ref=FIRST_UNIT, justification="I explained who they are."
    )
    services.remove_tag(portfolio.apprentice, tag)
    services.remove_tag(portfolio.apprentice, tag)  # again: nothing more happens
    with pytest.raises(Conflict, match="has been removed"):
        services.edit_tag(portfolio.apprentice, tag, justification="Reworded after removal.")
    with pytest.raises(Conflict, match="has been removed"):
        services.review_tag(portfolio.tutor, tag, accept=True)
    assert [e.action for e in tag.events] == ["created", "removed"]
    assert (tag.status, tag.justification) == (TagStatus.PENDING, "I explained who they are.")


def test_tag_must_belong_to_the_apprentices_standard(login, portfolio, photo) -> None:
    client = login(portfolio.apprentice)
    client.post(
        f"/evidence/{photo.id}/tags",
        data={"tag-reference": "TLII4001/element-1/1.1", "tag-justification": "not my standard"},
    )
    db.session.expire_all()
    assert db.session.get(Evidence, photo.id).tags == []


def test_delete_is_recorded_not_erased(login, portfolio, photo) -> None:
    client = login(portfolio.apprentice)
    client.post(f"/evidence/{photo.id}/delete")
    db.session.expire_all()
    item = db.session.get(Evidence, photo.id)
    assert item.deleted_at is not None
    assert item.deleted_by_id == portfolio.apprentice_id
    assert client.get(f"/evidence/{photo.id}").status_code == 404


def test_locked_evidence_cannot_change(login, portfolio, photo) -> None:
    photo.locked_at = db.utcnow()
    db.session.flush()
    client = login(portfolio.apprentice)
    for path, data in (
        (f"/evidence/{photo.id}/delete", {}),
        (
            f"/evidence/{photo.id}/tags",
            {"tag-reference": FIRST_UNIT, "tag-justification": "trying to change a locked item"},
        ),
        (
            f"/evidence/{photo.id}/edit",
            {
                "details-title": "new",
                "details-kind": "photo",
                "details-activity_date": dt.date.today().isoformat(),
            },
        ),
    ):
        response = client.post(path, data=data)
        assert response.status_code == 409, path
        assert "submitted showcase" in response.get_data(as_text=True)
    db.session.expire_all()
    item = db.session.get(Evidence, photo.id)
    assert item.deleted_at is None
    assert item.title == "till"
    assert item.tags == []


def test_witness_statement_needs_a_witness(login, portfolio, photo) -> None:
    client = login(portfolio.apprentice)
    client.post(
        f"/evidence/{photo.id}/edit",
        data={
            "details-title": "Statement",
            "details-kind": EvidenceKind.WITNESS_STATEMENT.value,
            "details-activity_date": dt.date.today().isoformat(),
        },
    )
    db.session.expire_all()
    assert db.session.get(Evidence, photo.id).kind is EvidenceKind.PHOTO


def test_written_evidence_without_a_file(login, portfolio) -> None:
    client = login(portfolio.apprentice)
    response = client.post(
        f"/apprenticeships/{portfolio.id}/evidence/new",
        data={
            "written-title": "Reflection on a complaint",
            "written-kind": "reflective_account",
            "written-activity_date": dt.date.today().isoformat(),
            "written-description": "Today I handled a complaint about a late delivery calmly.",
        },
    )
    assert response.status_code == 302
    item = db.session.scalar(select(Evidence).where(Evidence.title == "Reflection on a complaint"))
    assert item.file is None


def test_filters(login, portfolio, photo) -> None:
    client = login(portfolio.apprentice)
    base = f"/apprenticeships/{portfolio.id}/evidence"
    assert "till" in client.get(base + "?kind=photo").get_data(as_text=True)
    assert "till" not in client.get(base + "?kind=recording").get_data(as_text=True)
    assert "till" in client.get(base + "?q=TIL").get_data(as_text=True)
    assert "till" not in client.get(base + f"?ref={FIRST_UNIT}").get_data(as_text=True)
