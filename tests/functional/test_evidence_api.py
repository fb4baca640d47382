"""Evidence through the JSON API: the same services and checks as the pages. An access matrix
(role × endpoint → status), the lock, filters, uploads and the file itself."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from showcase import db
from showcase.accounts.models import Role
from showcase.evidence import services
from showcase.evidence.models import Evidence, EvidenceTag, StoredFile, TagEvent, TagStatus
from showcase.storage_ext import get_storage
from tests.factories import api_headers as bearer

SAMPLES = Path(__file__).parents[1] / "samples"
UNIT = "ST0072/knowing-your-customers/1.1"
OTHER_UNIT = "ST0072/knowing-your-customers/1.2"
JPEG = (SAMPLES / "sample.jpg").read_bytes()


@pytest.fixture
def world(make):
    """A portfolio with a photo tagged to a unit, and one user of each role around it."""
    portfolio = make.apprenticeship()
    item = services.add_evidence(
        portfolio.apprentice,
        portfolio,
        storage=get_storage(),
        stream=io.BytesIO(JPEG),
        filename="till.jpg",
        max_bytes=10**8,
    )
    tag = services.tag_evidence(
        portfolio.apprentice, item, ref=UNIT, justification="Shows how I greet customers."
    )
    users = {
        "apprentice": portfolio.apprentice,
        "line_manager": portfolio.line_manager,
        "tutor": portfolio.tutor,
        "stranger": make.user(Role.APPRENTICE),
        "assessor": make.user(Role.ASSESSOR),
        "admin": make.user(Role.ADMIN, portfolio.employer),
    }
    return portfolio, item, tag, users


def call(client, endpoint: str, portfolio, item, tag, headers):
    """Make the request that ``endpoint`` names; return the response."""
    justification = {"justification": "It shows me explaining our returns policy."}
    requests = {
        "list": lambda: client.get(f"/api/v1/apprenticeships/{portfolio.id}/evidence"),
        "get": lambda: client.get(f"/api/v1/evidence/{item.id}"),
        "file": lambda: client.get(f"/api/v1/evidence/{item.id}/file"),
        "upload": lambda: client.post(
            f"/api/v1/apprenticeships/{portfolio.id}/evidence",
            data=JPEG,
            headers={"X-Filename": "photo.jpg", "Content-Type": "application/octet-stream"},
        ),
        "update": lambda: client.patch(f"/api/v1/evidence/{item.id}", json={"title": "Renamed"}),
        "delete": lambda: client.delete(f"/api/v1/evidence/{item.id}"),
        "tag": lambda: client.post(
            f"/api/v1/evidence/{item.id}/tags", json={"ref": OTHER_UNIT, **justification}
        ),
        "edit_tag": lambda: client.patch(f"/api/v1/tags/{tag.id}", json=justification),
        "remove_tag": lambda: client.delete(f"/api/v1/tags/{tag.id}"),
        "review_tag": lambda: client.post(f"/api/v1/tags/{tag.id}/review", json={"accept": True}),
        "start_upload": lambda: client.post(
            f"/api/v1/apprenticeships/{portfolio.id}/uploads",
            json={"filename": "call.m4a", "size": 10_000_000},
        ),
    }
    client.environ_base.update(headers)
    try:
        return requests[endpoint]()
    finally:
        for name in headers:
            client.environ_base.pop(name, None)


ROLES = ("apprentice", "line_manager", "tutor", "stranger", "assessor", "admin")
#: Expected status per endpoint, in ROLES order. Outsiders get 404 (not theirs to know it
#: exists); parties who may see but not do get 403. The tutor and line manager upload as staff
#: records of their own kinds (issue 14; tests/functional/test_staff_evidence.py), but change
#: and tag only those, never the apprentice's own items.
MATRIX = {
    "list": (200, 200, 200, 404, 404, 200),
    "get": (200, 200, 200, 404, 404, 200),
    "file": (200, 200, 200, 404, 404, 200),
    "upload": (201, 201, 201, 404, 404, 403),
    "update": (200, 403, 403, 404, 404, 403),
    "delete": (204, 403, 403, 404, 404, 403),
    "tag": (201, 403, 403, 404, 404, 403),
    "edit_tag": (200, 403, 403, 404, 404, 403),
    "remove_tag": (204, 403, 403, 404, 404, 403),
    "review_tag": (403, 403, 200, 404, 404, 403),
    "start_upload": (201, 201, 201, 404, 404, 403),
}
CASES = [
    pytest.param(endpoint, role, statuses[i], id=f"{endpoint}-{role}")
    for endpoint, statuses in MATRIX.items()
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("endpoint", "role", "expected"), CASES)
def test_access_matrix(client, world, endpoint: str, role: str, expected: int) -> None:
    portfolio, item, tag, users = world
    headers = {"HTTP_" + k.upper(): v for k, v in bearer(users[role]).items()}
    response = call(client, endpoint, portfolio, item, tag, headers)
    assert response.status_code == expected, response.get_data(as_text=True)[:300]
    if expected >= 400:
        assert response.get_json()["error"]["message"]


MUTATING = ("upload", "update", "delete", "tag", "edit_tag", "remove_tag", "start_upload")


def snapshot(item_id: int) -> tuple:
    db.session.expire_all()
    item = db.session.get(Evidence, item_id)
    tags = [(t.id, t.status, t.justification, t.removed_at) for t in item.tags]
    return (
        item.title,
        item.deleted_at,
        tags,
        db.session.scalar(select(func.count()).select_from(TagEvent)),
        db.session.scalar(select(func.count()).select_from(StoredFile)),
    )


def test_locked_evidence_refuses_every_change(client, world) -> None:
    portfolio, item, tag, users = world
    item.locked_at = db.utcnow()
    db.session.flush()
    before = snapshot(item.id)
    for role, endpoints in (
        ("apprentice", [e for e in MUTATING if e not in ("upload", "start_upload")]),
        ("tutor", ["review_tag"]),
    ):
        headers = {"HTTP_" + k.upper(): v for k, v in bearer(users[role]).items()}
        for endpoint in endpoints:
            response = call(client, endpoint, portfolio, item, tag, headers)
            assert response.status_code == 409, (endpoint, response.get_json())
            assert "submitted showcase" in response.get_json()["error"]["message"]
    assert snapshot(item.id) == before


def test_get_and_file_round_trip(client, world) -> None:
    _portfolio, item, _tag, users = world
    headers = bearer(users["tutor"])
    body = client.get(f"/api/v1/evidence/{item.id}", headers=headers).get_json()
    assert body["title"] == "till" and body["kind"] == "photo"
    assert body["file"]["sha256"] == hashlib.sha256(JPEG).hexdigest()
    assert [t["ref"] for t in body["tags"]] == [UNIT]
    served = client.get(body["file"]["url"], headers={**headers, "Range": "bytes=0-9"})
    assert served.status_code == 206 and served.data == JPEG[:10]
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_upload_update_and_filters(client, world) -> None:
    portfolio, item, _tag, users = world
    headers = bearer(users["apprentice"])
    response = client.post(
        f"/api/v1/apprenticeships/{portfolio.id}/evidence",
        data=(SAMPLES / "sample.pdf").read_bytes(),
        headers={**headers, "X-Filename": "Witness%20statement.pdf"},
    )
    assert response.status_code == 201, response.get_json()
    new = response.get_json()
    assert new["file"]["name"] == "Witness statement.pdf"
    assert new["file"]["mime_type"] == "application/pdf"
    updated = client.patch(
        f"/api/v1/evidence/{new['id']}",
        json={"title": "Statement from Jo", "activity_date": "2026-01-05"},
        headers=headers,
    ).get_json()
    assert updated["title"] == "Statement from Jo" and updated["activity_date"] == "2026-01-05"

    def ids(**query) -> list[int]:
        url = f"/api/v1/apprenticeships/{portfolio.id}/evidence"
        listing = client.get(url, query_string=query, headers=headers)
        assert listing.status_code == 200, listing.get_json()
        return [i["id"] for i in listing.get_json()["items"]]

    assert set(ids()) == {item.id, new["id"]}
    assert ids(ref=UNIT) == [item.id]
    assert ids(kind="photo") == [item.id]
    assert ids(q="Jo") == [new["id"]]
    assert ids(until="2026-01-31") == [new["id"]]
    assert ids(status="pending") == [item.id]
    bad = client.get(
        f"/api/v1/apprenticeships/{portfolio.id}/evidence?kind=nonsense", headers=headers
    )
    assert bad.status_code == 422


def test_refused_upload_leaves_nothing(client, world) -> None:
    portfolio, _item, _tag, users = world
    before = db.session.scalar(select(func.count()).select_from(StoredFile))
    blobs = sum(1 for _ in get_storage().keys("evidence/"))
    response = client.post(
        f"/api/v1/apprenticeships/{portfolio.id}/evidence",
        data=b"<!doctype html><html><script>alert(1)</script></html>",
        headers={**bearer(users["apprentice"]), "X-Filename": "page.html"},
    )
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_file_type"
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == before
    assert sum(1 for _ in get_storage().keys("evidence/")) == blobs


def test_tag_review_and_removal(client, world) -> None:
    _portfolio, item, tag, users = world
    tutor = bearer(users["tutor"])
    refused = client.post(f"/api/v1/tags/{tag.id}/review", json={"accept": False}, headers=tutor)
    assert refused.status_code == 422  # sending back needs a comment
    sent_back = client.post(
        f"/api/v1/tags/{tag.id}/review",
        json={"accept": False, "comment": "Add your manager's statement."},
        headers=tutor,
    ).get_json()
    assert sent_back["status"] == "sent_back"
    apprentice = bearer(users["apprentice"])
    edited = client.patch(
        f"/api/v1/tags/{tag.id}",
        json={"justification": "My manager's statement is now attached."},
        headers=apprentice,
    ).get_json()
    assert edited["status"] == "pending"
    assert client.delete(f"/api/v1/tags/{tag.id}", headers=apprentice).status_code == 204
    db.session.expire_all()
    assert db.session.get(EvidenceTag, tag.id).removed_at is not None
    assert db.session.get(EvidenceTag, tag.id).status is TagStatus.PENDING
    body = client.get(f"/api/v1/evidence/{item.id}", headers=apprentice).get_json()
    assert body["tags"] == []


def test_delete_is_recorded(client, world) -> None:
    _portfolio, item, _tag, users = world
    headers = bearer(users["apprentice"])
    assert client.delete(f"/api/v1/evidence/{item.id}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/evidence/{item.id}", headers=headers).status_code == 404
    db.session.expire_all()
    assert db.session.get(Evidence, item.id).deleted_at is not None


def test_future_activity_date_is_refused(client, world) -> None:
    _portfolio, item, _tag, users = world
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    response = client.patch(
        f"/api/v1/evidence/{item.id}",
        json={"activity_date": tomorrow},
        headers=bearer(users["apprentice"]),
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "activity_date"


def test_openapi_documents_the_evidence_endpoints(client) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/apprenticeships/{apprenticeship_id}/evidence",
        "/api/v1/evidence/{evidence_id}",
        "/api/v1/tags/{tag_id}/review",
        "/api/v1/apprenticeships/{apprenticeship_id}/uploads",
        "/api/v1/uploads/{upload_id}",
    ):
        assert path in paths, path
