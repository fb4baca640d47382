"""Comment threads on evidence items (issue 14): who reads, writes and includes them; they are
append-only and audited; the others in the conversation are told; the apprentice chooses
which go with the showcase, and the lock freezes those into the manifest."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import Role
from showcase.assessment import services as assessment_services
from showcase.audit.models import AuditEntry
from showcase.errors import SubmissionLocked
from showcase.evidence import comments, services
from showcase.evidence.models import EvidenceComment, EvidenceKind
from showcase.notifications import services as notifications
from showcase.notifications.models import EmailMode, Kind, Notification
from showcase.storage import blobs_removed_on_failure
from showcase.storage_ext import get_storage
from showcase.submissions import services as submissions
from tests.factories import add_item, api_headers, prepare


@pytest.fixture
def world(make):
    portfolio = make.apprenticeship()
    item = add_item(portfolio, EvidenceKind.REFLECTIVE_ACCOUNT, "Busy Saturday")
    first = comments.add_comment(portfolio.tutor, item, "Good detail on the queue.")
    users = {
        "apprentice": portfolio.apprentice,
        "tutor": portfolio.tutor,
        "line_manager": portfolio.line_manager,
        "another apprentice": make.user(Role.APPRENTICE),
        "employer's admin": make.user(Role.ADMIN, portfolio.employer),
        "provider's admin": make.user(Role.ADMIN, portfolio.provider),
        "assessor": make.user(Role.ASSESSOR),
        "quality assurer": make.user(Role.QUALITY_ASSURER),
    }
    return portfolio, item, first, users


# ---- the matrix: who reads, writes and includes comments -------------------------------------

#: who → (list, add, include) through the API. The thread is for the apprentice, tutor and line
#: manager; admins who may open the item get 403 for the thread and 404 for a comment (the
#: loader's answer for what is not theirs to see); outsiders 404 throughout.
MATRIX = {
    "apprentice": (200, 201, 200),
    "tutor": (200, 201, 403),
    "line_manager": (200, 201, 403),
    "another apprentice": (404, 404, 404),
    "employer's admin": (403, 403, 404),
    "provider's admin": (403, 403, 404),
    "assessor": (404, 404, 404),
    "quality assurer": (404, 404, 404),
}


@pytest.mark.parametrize(("who", "expected"), MATRIX.items())
def test_access_matrix(world, client, who: str, expected: tuple[int, int, int]) -> None:
    _portfolio, item, first, users = world
    headers = api_headers(users[who])
    listed = client.get(f"/api/v1/evidence/{item.id}/comments", headers=headers)
    assert listed.status_code == expected[0]
    if expected[0] == 200:
        (only,) = listed.get_json()["items"]
        assert only["body"] == "Good detail on the queue." and only["role"] == "tutor"
    added = client.post(
        f"/api/v1/evidence/{item.id}/comments", json={"body": "Thanks!"}, headers=headers
    )
    assert added.status_code == expected[1], added.get_json()
    included = client.put(
        f"/api/v1/comments/{first.id}/included", json={"include": True}, headers=headers
    )
    assert included.status_code == expected[2], included.get_json()
    db.session.expire_all()
    assert (db.session.get(EvidenceComment, first.id).included_at is not None) is (
        expected[2] == 200
    )
    count = len(db.session.scalars(select(EvidenceComment)).all())
    assert count == (2 if expected[1] == 201 else 1)


@pytest.mark.parametrize(("who", "expected"), MATRIX.items())
def test_the_item_page_shows_the_thread_to_the_conversation_only(
    world, login, who: str, expected: tuple[int, int, int]
) -> None:
    _portfolio, item, _first, users = world
    page = login(users[who]).get(f"/evidence/{item.id}")
    body = page.get_data(as_text=True)
    if expected[0] == 404:
        assert page.status_code == 404
        return
    assert page.status_code == 200
    assert ("Good detail on the queue." in body) is (expected[0] == 200)
    assert ('id="comments"' in body) is (expected[0] == 200)
    assert ("Include with my showcase" in body) is (who == "apprentice")


# ---- append-only, audited, validated -----------------------------------------------------------


def test_comments_are_append_only_and_audited(world, client) -> None:
    _portfolio, item, first, users = world
    headers = api_headers(users["tutor"])
    edited = client.patch(f"/api/v1/comments/{first.id}", json={"body": "x"}, headers=headers)
    assert edited.status_code in (404, 405)
    assert client.delete(f"/api/v1/comments/{first.id}", headers=headers).status_code in (404, 405)
    db.session.expire_all()
    assert db.session.get(EvidenceComment, first.id).body == "Good detail on the queue."
    entry = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "comment.added", AuditEntry.object_id == first.id
        )
    ).one()
    assert entry.actor_id == users["tutor"].id and entry.details["evidence_id"] == item.id


@pytest.mark.parametrize(("body", "field"), [("   ", "body"), ("x" * 5001, "body")])
def test_an_empty_or_overlong_comment_is_refused(world, client, body: str, field: str) -> None:
    _portfolio, item, _first, users = world
    response = client.post(
        f"/api/v1/evidence/{item.id}/comments",
        json={"body": body},
        headers=api_headers(users["apprentice"]),
    )
    assert response.status_code == 422
    assert len(db.session.scalars(select(EvidenceComment)).all()) == 1


def test_the_page_form_adds_a_comment_and_includes_it(world, login) -> None:
    _portfolio, item, first, users = world
    client = login(users["apprentice"])
    response = client.post(f"/evidence/{item.id}/comments", data={"comment-body": "  "})
    assert response.status_code == 302
    assert len(db.session.scalars(select(EvidenceComment)).all()) == 1
    client.post(
        f"/evidence/{item.id}/comments", data={"comment-body": "I'll add the till log too."}
    )
    assert client.post(f"/comments/{first.id}/include", data={"include": "1"}).status_code == 302
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert "I&#39;ll add the till log too." in page
    assert "Included with the showcase" in page and "Do not include with my showcase" in page
    client.post(f"/comments/{first.id}/include", data={"include": "0"})
    db.session.expire_all()
    assert db.session.get(EvidenceComment, first.id).included_at is None
    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "EvidenceComment", AuditEntry.object_id == first.id)
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["comment.added", "comment.included", "comment.excluded"]


# ---- notifications ---------------------------------------------------------------------------


def _told(user) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(
                Notification.recipient_id == user.id, Notification.kind == Kind.EVIDENCE_COMMENT
            )
        )
    )


def test_a_comment_tells_the_others_in_the_conversation(world) -> None:
    portfolio, item, _first, users = world
    # The tutor's comment in the fixture told the apprentice and the line manager, not the tutor.
    assert len(_told(users["apprentice"])) == 1 and len(_told(users["line_manager"])) == 1
    assert _told(users["tutor"]) == []
    notifications.set_preferences(users["tutor"], {Kind.EVIDENCE_COMMENT: EmailMode.IMMEDIATELY})
    comments.add_comment(users["apprentice"], item, "Thanks, will do.")
    (told,) = _told(users["tutor"])
    assert told.link == f"/evidence/{item.id}#comments"
    assert told.apprenticeship_id == portfolio.id
    # No names or words of the comment in what is sent.
    assert "Thanks" not in told.subject and users["apprentice"].name not in told.subject
    assert told.email_mode is EmailMode.IMMEDIATELY and told.email_delivery_id is not None
    (apprentice_told,) = _told(users["apprentice"])  # not told of their own comment
    assert apprentice_told.email_mode is EmailMode.DIGEST  # the kind's default
    assert apprentice_told.email_delivery_id is None


def test_the_settings_page_offers_the_new_kind(world, login) -> None:
    _portfolio, _item, _first, users = world
    page = login(users["line_manager"]).get("/notifications/settings").get_data(as_text=True)
    assert "A comment on evidence" in page


# ---- the showcase: included comments are frozen at the lock ------------------------------------


def _lock(journey):
    draft = prepare(journey)
    storage = get_storage()
    with blobs_removed_on_failure(storage) as written:
        submissions.lock_submission(
            journey[2]["apprentice"], draft, storage=storage, written=written
        )
    return draft


def test_the_lock_freezes_included_comments_and_who_recorded(journey, client, login) -> None:
    item, _ao, people, items = journey
    observation = services.add_evidence(
        people["tutor"],
        item,
        storage=None,
        stream=None,
        filename=None,
        max_bytes=0,
        details=services.EvidenceDetails(
            title="Observation at the service desk",
            kind=EvidenceKind.OBSERVATION_RECORD,
            activity_date=dt.date.today(),
            description="Watched six customers served; all greeted within a minute.",
        ),
    )
    items.append(observation)
    chosen = comments.add_comment(people["tutor"], observation, "Calm with a hard customer.")
    comments.add_comment(people["apprentice"], observation, "Thanks — not for the assessor.")
    comments.set_included(people["apprentice"], chosen, include=True)
    locked = _lock(journey)

    entries = {e["evidence_id"]: e for e in locked.manifest["items"]}
    frozen = entries[observation.id]
    assert frozen["recorded_by"]["name"] == people["tutor"].name
    assert frozen["recorded_by"]["role"] == "tutor"
    assert [c["body"] for c in frozen["comments"]] == ["Calm with a hard customer."]
    assert frozen["comments"][0]["author"] == people["tutor"].name
    # The apprentice's own items read exactly as before: no new keys.
    for own in items[:2]:
        assert "comments" not in entries[own.id] and "recorded_by" not in entries[own.id]
    assert submissions.verify(locked, get_storage()).ok

    # After the lock the choice can no longer change; a new comment is allowed but stays out.
    with pytest.raises(SubmissionLocked):
        comments.set_included(people["apprentice"], chosen, include=False)
    response = client.put(
        f"/api/v1/comments/{chosen.id}/included",
        json={"include": False},
        headers=api_headers(people["apprentice"]),
    )
    assert response.status_code == 409
    later = comments.add_comment(people["manager"], observation, "Well done on passing!")
    later_include = client.put(
        f"/api/v1/comments/{later.id}/included",
        json={"include": True},
        headers=api_headers(people["apprentice"]),
    )
    assert later_include.status_code == 409
    db.session.expire_all()
    assert len(locked.manifest["items"][-1].get("comments", [])) == 1
    assert submissions.verify(locked, get_storage()).ok

    # The assessor reads the included comment in the workspace, never the others.
    assessment = assessment_services.assign(people["ao_admin"], locked, people["assessor"])
    page = login(people["assessor"]).get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert "Calm with a hard customer." in page
    assert f"Recorded by {people['tutor'].name}, tutor" in page
    assert "not for the assessor" not in page and "Well done on passing" not in page
    assert client.get(f"/evidence/{observation.id}").status_code == 404
    # The assessment organisation's admin reads the locked showcase's listing: the same.
    client.post("/sign-out")
    showcase = login(people["ao_admin"]).get(f"/submissions/{locked.id}").get_data(as_text=True)
    assert "Calm with a hard customer." in showcase and "not for the assessor" not in showcase


def test_comments_after_the_lock_leave_the_manifest_as_it_was(journey) -> None:
    """A showcase locked with no comments chosen (as every one before this change) keeps its
    manifest and fingerprint whatever is said about its items afterwards."""
    locked = _lock(journey)
    _item, _ao, people, items = journey
    before = (dict(locked.manifest), locked.manifest_sha256)
    for entry in locked.manifest["items"]:
        assert "comments" not in entry and "recorded_by" not in entry
    late = comments.add_comment(people["tutor"], items[0], "Good luck with the assessment.")
    with pytest.raises(SubmissionLocked):
        comments.set_included(people["apprentice"], late, include=True)
    db.session.expire_all()
    assert (locked.manifest, locked.manifest_sha256) == before
    assert submissions.verify(locked, get_storage()).ok
