"""Evidence recorded by staff (issue 14): who may record which kind, who edits and tags a staff
record before and after a tag on it is accepted and after the lock, and how it reads on the
pages and in the API. The comment thread is in test_comments.py."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from showcase import db
from showcase.accounts.models import Role
from showcase.audit.models import AuditEntry
from showcase.errors import Forbidden, ValidationFailed
from showcase.evidence import services
from showcase.evidence.models import Evidence, EvidenceKind, TagStatus
from showcase.evidence.permissions import STAFF_KINDS
from showcase.storage_ext import get_storage
from tests.factories import api_headers

SAMPLES = Path(__file__).parents[1] / "samples"
UNIT = "ST0072/knowing-your-customers/1.1"
OTHER_UNIT = "ST0072/knowing-your-customers/1.2"


@pytest.fixture
def world(make):
    portfolio = make.apprenticeship()
    users = {
        "apprentice": portfolio.apprentice,
        "tutor": portfolio.tutor,
        "line_manager": portfolio.line_manager,
        "another tutor": make.user(Role.TUTOR, portfolio.provider),
        "employer's admin": make.user(Role.ADMIN, portfolio.employer),
        "assessor": make.user(Role.ASSESSOR),
    }
    return portfolio, users


def record(actor, portfolio, kind: EvidenceKind, title: str = "Observation at the till"):
    return services.add_evidence(
        actor,
        portfolio,
        storage=None,
        stream=None,
        filename=None,
        max_bytes=0,
        details=services.EvidenceDetails(
            title=title,
            kind=kind,
            activity_date=dt.date.today() - dt.timedelta(days=2),
            description="Watched the apprentice serve six customers; notes follow.",
        ),
    )


# ---- who may record which kind ---------------------------------------------------------------

STAFF_ONLY = (
    EvidenceKind.OBSERVATION_RECORD,
    EvidenceKind.PROFESSIONAL_DISCUSSION,
    EvidenceKind.MANAGER_STATEMENT,
)
#: who → the kinds (of STAFF_ONLY and a reflective account) they may record; anything else is
#: refused. The apprentice may add any kind (a scan of a paper observation record, say).
MAY_RECORD = {
    "apprentice": {*STAFF_ONLY, EvidenceKind.REFLECTIVE_ACCOUNT},
    "tutor": {EvidenceKind.OBSERVATION_RECORD, EvidenceKind.PROFESSIONAL_DISCUSSION},
    "line_manager": {EvidenceKind.MANAGER_STATEMENT},
    "another tutor": set(),
    "employer's admin": set(),
    "assessor": set(),
}


@pytest.mark.parametrize(
    "kind", [*STAFF_ONLY, EvidenceKind.REFLECTIVE_ACCOUNT], ids=lambda k: k.value
)
@pytest.mark.parametrize("who", MAY_RECORD)
def test_who_may_record_which_kind(world, who: str, kind: EvidenceKind) -> None:
    portfolio, users = world
    before = db.session.scalar(select(func.count()).select_from(Evidence))
    if kind in MAY_RECORD[who]:
        item = record(users[who], portfolio, kind)
        assert item.kind is kind
        expected = None if who == "apprentice" else users[who].id
        assert item.recorded_by_id == expected
        assert item.created_by_id == users[who].id
    else:
        with pytest.raises((Forbidden, ValidationFailed)):
            record(users[who], portfolio, kind)
        assert db.session.scalar(select(func.count()).select_from(Evidence)) == before


def test_the_table_of_staff_kinds_is_what_the_matrix_checks() -> None:
    assert set(STAFF_KINDS["tutor"]) == MAY_RECORD["tutor"]
    assert set(STAFF_KINDS["line_manager"]) == MAY_RECORD["line_manager"]


def test_the_record_page_offers_staff_their_kinds_only(world, login) -> None:
    portfolio, users = world
    client = login(users["tutor"])
    listing = client.get(f"/apprenticeships/{portfolio.id}/evidence").get_data(as_text=True)
    assert f"Record evidence for {portfolio.apprentice.name}" in listing
    page = client.get(f"/apprenticeships/{portfolio.id}/evidence/new").get_data(as_text=True)
    assert f"<h1>Record evidence for {portfolio.apprentice.name}</h1>" in page
    assert 'value="observation_record"' in page and 'value="professional_discussion"' in page
    assert 'value="manager_statement"' not in page and 'value="photo"' not in page
    form = {
        "written-title": "Professional discussion: handling complaints",
        "written-activity_date": dt.date.today().isoformat(),
        "written-description": "We talked through three complaints and what was learnt.",
    }
    refused = client.post(
        f"/apprenticeships/{portfolio.id}/evidence/new",
        data={**form, "written-kind": "manager_statement"},
    )
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == 0
    made = client.post(
        f"/apprenticeships/{portfolio.id}/evidence/new",
        data={**form, "written-kind": "professional_discussion"},
    )
    assert made.status_code == 302
    item = db.session.scalars(select(Evidence)).one()
    assert item.kind is EvidenceKind.PROFESSIONAL_DISCUSSION
    assert item.recorded_by_id == users["tutor"].id
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "evidence.added")
    ).one()
    assert entry.actor_id == users["tutor"].id
    assert entry.details["recorded_by"] == users["tutor"].id
    # The recorder edits it, among their own kinds only.
    own = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert "Edit details" in own and "Delete this evidence" in own
    assert 'value="observation_record"' in own and 'value="photo"' not in own
    # The apprentice's listing and the item page say who recorded it.
    client.post("/sign-out")
    apprentice = login(users["apprentice"])
    line = f"Recorded by {users['tutor'].name}, tutor, on {item.created_at:%-d %B %Y}"
    listing = apprentice.get(f"/apprenticeships/{portfolio.id}/evidence").get_data(as_text=True)
    assert line in listing and "Add evidence" in listing
    shown = apprentice.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert line in shown
    assert "Edit details" not in shown and "Delete this evidence" not in shown
    assert "Tag to a criterion" in shown  # the apprentice tags it


def test_the_page_refuses_the_admin_and_the_other_tutor(world, login) -> None:
    portfolio, users = world
    admin = login(users["employer's admin"])
    assert admin.get(f"/apprenticeships/{portfolio.id}/evidence/new").status_code == 403
    listing = admin.get(f"/apprenticeships/{portfolio.id}/evidence").get_data(as_text=True)
    assert "Record evidence for" not in listing and "Add evidence" not in listing
    admin.post("/sign-out")
    other = login(users["another tutor"])
    assert other.get(f"/apprenticeships/{portfolio.id}/evidence/new").status_code == 404


def test_a_file_uploaded_by_the_line_manager_is_their_statement(world, client) -> None:
    portfolio, users = world
    response = client.post(
        f"/api/v1/apprenticeships/{portfolio.id}/evidence",
        data=(SAMPLES / "sample.pdf").read_bytes(),
        headers={**api_headers(users["line_manager"]), "X-Filename": "statement.pdf"},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["kind"] == "manager_statement"
    assert body["recorded_by"] == {
        "user_id": users["line_manager"].id,
        "name": users["line_manager"].name,
        "role": "line manager",
    }
    # They may not turn it into a kind that is not theirs, nor the apprentice into one.
    headers = api_headers(users["line_manager"])
    turned = client.patch(
        f"/api/v1/evidence/{body['id']}", json={"kind": "observation_record"}, headers=headers
    )
    assert turned.status_code == 422 and turned.get_json()["error"]["field"] == "kind"
    renamed = client.patch(
        f"/api/v1/evidence/{body['id']}", json={"title": "Statement: Saturdays"}, headers=headers
    )
    assert renamed.status_code == 200 and renamed.get_json()["title"] == "Statement: Saturdays"
    own = client.get(
        f"/api/v1/evidence/{body['id']}", headers=api_headers(users["apprentice"])
    ).get_json()
    assert own["recorded_by"]["role"] == "line manager"


# ---- editing and tagging a staff record: who, before and after acceptance, after the lock ----

WHO = ("apprentice", "tutor", "line_manager", "another tutor", "employer's admin", "assessor")
#: state → expected status per WHO for PATCH (details) of the tutor's observation record.
EDIT = {
    "untagged": (403, 200, 403, 404, 403, 404),
    "tag pending": (403, 200, 403, 404, 403, 404),
    "tag sent back": (403, 200, 403, 404, 403, 404),
    "tag accepted": (403, 403, 403, 404, 403, 404),
    "locked": (409, 409, 409, 404, 409, 404),
}
#: The same for tagging it to another unit (a claim, which the tutor then reviews).
TAG = {
    "untagged": (201, 201, 403, 404, 403, 404),
    "tag pending": (201, 201, 403, 404, 403, 404),
    "tag sent back": (201, 201, 403, 404, 403, 404),
    "tag accepted": (201, 201, 403, 404, 403, 404),
    "locked": (409, 409, 409, 404, 409, 404),
}
#: And for deleting it: as editing, 204 where editing is 200.
DELETE = {state: tuple(204 if s == 200 else s for s in row) for state, row in EDIT.items()}


def _staff_record_in(state: str, portfolio, users) -> Evidence:
    item = record(users["tutor"], portfolio, EvidenceKind.OBSERVATION_RECORD)
    if state != "untagged":
        tag = services.tag_evidence(
            users["tutor"], item, ref=UNIT, justification="Greeted every customer promptly."
        )
        if state in ("tag accepted", "locked"):
            services.review_tag(users["tutor"], tag, accept=True)
        elif state == "tag sent back":
            services.review_tag(users["tutor"], tag, accept=False, comment="Say which customers.")
    if state == "locked":
        item.locked_at = db.utcnow()
    db.session.flush()
    return item


def _cases(table: dict) -> list:
    return [
        pytest.param(state, who, row[i], id=f"{state}-{who}")
        for state, row in table.items()
        for i, who in enumerate(WHO)
    ]


@pytest.mark.parametrize(("state", "who", "expected"), _cases(EDIT))
def test_who_edits_a_staff_record(world, client, state: str, who: str, expected: int) -> None:
    portfolio, users = world
    item = _staff_record_in(state, portfolio, users)
    response = client.patch(
        f"/api/v1/evidence/{item.id}", json={"title": "Renamed"}, headers=api_headers(users[who])
    )
    assert response.status_code == expected, response.get_json()
    db.session.expire_all()
    assert (db.session.get(Evidence, item.id).title == "Renamed") is (expected == 200)
    if who == "tutor" and state == "tag accepted":
        assert "accepted" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(("state", "who", "expected"), _cases(TAG))
def test_who_tags_a_staff_record(world, client, state: str, who: str, expected: int) -> None:
    portfolio, users = world
    item = _staff_record_in(state, portfolio, users)
    response = client.post(
        f"/api/v1/evidence/{item.id}/tags",
        json={"ref": OTHER_UNIT, "justification": "It shows me explaining the policy."},
        headers=api_headers(users[who]),
    )
    assert response.status_code == expected, response.get_json()
    if expected == 201:
        # Whoever tags it, the claim waits for the tutor's review as usual — the tutor's own
        # tag on their own record included.
        assert response.get_json()["status"] == "pending"


@pytest.mark.parametrize(("state", "who", "expected"), _cases(DELETE))
def test_who_deletes_a_staff_record(world, client, state: str, who: str, expected: int) -> None:
    portfolio, users = world
    item = _staff_record_in(state, portfolio, users)
    response = client.delete(f"/api/v1/evidence/{item.id}", headers=api_headers(users[who]))
    assert response.status_code == expected
    db.session.expire_all()
    assert (db.session.get(Evidence, item.id).deleted_at is not None) is (expected == 204)


def test_the_recorder_restores_their_record_and_the_apprentice_cannot(world, login) -> None:
    portfolio, users = world
    item = record(users["tutor"], portfolio, EvidenceKind.OBSERVATION_RECORD)
    services.delete_evidence(users["tutor"], item)
    apprentice = login(users["apprentice"])
    listing = apprentice.get(f"/apprenticeships/{portfolio.id}/evidence").get_data(as_text=True)
    assert "Recently deleted" not in listing
    assert apprentice.post(f"/evidence/{item.id}/restore").status_code == 403
    apprentice.post("/sign-out")
    tutor = login(users["tutor"])
    listing = tutor.get(f"/apprenticeships/{portfolio.id}/evidence").get_data(as_text=True)
    assert "Recently deleted" in listing and item.title in listing
    assert tutor.post(f"/evidence/{item.id}/restore").status_code == 302
    db.session.expire_all()
    assert db.session.get(Evidence, item.id).deleted_at is None


def test_the_apprentices_own_items_stay_theirs(world, client) -> None:
    """Staff recording changes nothing about the apprentice's own evidence."""
    portfolio, users = world
    own = services.add_evidence(
        users["apprentice"],
        portfolio,
        storage=get_storage(),
        stream=io.BytesIO((SAMPLES / "sample.jpg").read_bytes()),
        filename="till.jpg",
        max_bytes=10**8,
    )
    assert own.recorded_by_id is None and own.kind is EvidenceKind.PHOTO
    for who in ("tutor", "line_manager"):
        headers = api_headers(users[who])
        assert (
            client.patch(f"/api/v1/evidence/{own.id}", json={"title": "x"}, headers=headers)
        ).status_code == 403
        tagged = client.post(
            f"/api/v1/evidence/{own.id}/tags",
            json={"ref": UNIT, "justification": "Tagging it on their behalf."},
            headers=headers,
        )
        assert tagged.status_code == 403
    assert (
        client.get(f"/api/v1/evidence/{own.id}", headers=api_headers(users["tutor"])).get_json()[
            "recorded_by"
        ]
        is None
    )


def test_the_tutor_reviews_tags_on_their_own_record(world) -> None:
    portfolio, users = world
    item = record(users["tutor"], portfolio, EvidenceKind.OBSERVATION_RECORD)
    by_apprentice = services.tag_evidence(
        users["apprentice"], item, ref=UNIT, justification="Tara watched me do exactly this."
    )
    assert by_apprentice.status is TagStatus.PENDING
    services.review_tag(users["tutor"], by_apprentice, accept=True)
    assert by_apprentice.status is TagStatus.ACCEPTED
    with pytest.raises(Forbidden, match="accepted"):
        services.update_evidence(
            users["tutor"], item, services.EvidenceDetails(description="Changed afterwards.")
        )
    # Withdrawing the accepted tag does not open the record again.
    services.remove_tag(users["apprentice"], by_apprentice)
    with pytest.raises(Forbidden, match="accepted"):
        services.update_evidence(
            users["tutor"], item, services.EvidenceDetails(description="Changed afterwards.")
        )
    with pytest.raises(Forbidden):
        services.delete_evidence(users["tutor"], item)


# ---- recording through the API -----------------------------------------------------------------

#: who → status for each kind posted to the written-evidence endpoint.
API_RECORD = {
    "apprentice": {"observation_record": 201, "manager_statement": 201},
    "tutor": {"observation_record": 201, "manager_statement": 422},
    "line_manager": {"observation_record": 422, "manager_statement": 201},
    "another tutor": {"observation_record": 404, "manager_statement": 404},
    "employer's admin": {"observation_record": 403, "manager_statement": 403},
    "assessor": {"observation_record": 404, "manager_statement": 404},
}


@pytest.mark.parametrize("kind", ["observation_record", "manager_statement"])
@pytest.mark.parametrize("who", API_RECORD)
def test_recording_written_evidence_through_the_api(world, client, who: str, kind: str) -> None:
    portfolio, users = world
    response = client.post(
        f"/api/v1/apprenticeships/{portfolio.id}/evidence/written",
        json={
            "title": "Seen at the service desk",
            "kind": kind,
            "description": "Served six customers; greeted each within a minute.",
        },
        headers=api_headers(users[who]),
    )
    expected = API_RECORD[who][kind]
    assert response.status_code == expected, response.get_json()
    if expected == 201:
        body = response.get_json()
        assert body["kind"] == kind and body["file"] is None
        if who == "apprentice":
            assert body["recorded_by"] is None
        else:
            assert body["recorded_by"]["user_id"] == users[who].id
    else:
        assert db.session.scalar(select(func.count()).select_from(Evidence)) == 0
