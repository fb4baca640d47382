"""Request parsing, refused once where input is parsed: ids beyond the database's integer, NUL
characters, request bodies over the cap, and API bodies that are not well-formed JSON.

Each of these used to reach the database (500 on PostgreSQL, an integer out of range or a NUL
in a text value) or to be silently ignored (200 with nothing changed). Bodies over the cap are
also tested through a real server in ``tests/wire/test_request_limits.py``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from flask import request

from showcase import db
from showcase.accounts.models import Role
from showcase.evidence import services
from showcase.evidence.models import Evidence
from showcase.inputs import MAX_ID, UPLOAD_ENDPOINTS
from showcase.storage_ext import get_storage
from tests.factories import api_headers as bearer

SAMPLES = Path(__file__).parents[1] / "samples"
JPEG = (SAMPLES / "sample.jpg").read_bytes()
UNIT = "ST0072/knowing-your-customers/1.1"
#: The title the fixture's upload gets from its file name.
TITLE = "till"
#: Beyond PostgreSQL's integer; beyond SQLite's (and bigint's) 64 bits; past int()'s digit limit.
HUGE_IDS = ["2147483648", "99999999999", "9223372036854775808", "9" * 5000]


@pytest.fixture
def item(make):
    """A photo in an apprentice's portfolio, tagged once."""
    portfolio = make.apprenticeship()
    evidence = services.add_evidence(
        portfolio.apprentice,
        portfolio,
        storage=get_storage(),
        stream=io.BytesIO(JPEG),
        filename="till.jpg",
        max_bytes=10**8,
    )
    services.tag_evidence(
        portfolio.apprentice, evidence, ref=UNIT, justification="Shows how I greet customers."
    )
    return evidence


# -- ids in paths and query parameters ------------------------------------------------------


@pytest.mark.parametrize("huge", HUGE_IDS)
@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("GET", "/evidence/{}"),
        ("GET", "/apprenticeships/{}"),
        ("GET", "/submissions/{}"),
        ("GET", "/assessments/{}"),
        ("POST", "/tags/{}/remove"),
        ("POST", "/account/tokens/{}/revoke"),
    ],
)
def test_page_ids_beyond_the_database_integer_are_not_found(
    login, item, method, template, huge
) -> None:
    client = login(item.apprenticeship.apprentice)
    response = client.open(template.format(huge), method=method, headers={"Accept": "text/html"})
    assert response.status_code == 404


@pytest.mark.parametrize("huge", HUGE_IDS)
@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("GET", "/api/v1/evidence/{}"),
        ("PATCH", "/api/v1/evidence/{}"),
        ("GET", "/api/v1/apprenticeships/{}"),
        ("GET", "/api/v1/submissions/{}"),
        ("GET", "/api/v1/assessments/{}"),
        ("DELETE", "/api/v1/tags/{}"),
    ],
)
def test_api_ids_beyond_the_database_integer_are_not_found(
    client, item, method, template, huge
) -> None:
    response = client.open(
        template.format(huge),
        method=method,
        headers=bearer(item.apprenticeship.apprentice),
        json={"title": "x"} if method == "PATCH" else None,
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


def test_the_largest_id_is_still_routed(client, item) -> None:
    response = client.get(
        f"/api/v1/evidence/{MAX_ID}", headers=bearer(item.apprenticeship.apprentice)
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("before", ["9223372036854775807", "9223372036854775808", "2147483648"])
def test_audit_page_bounds_its_before_parameter(login, make, before) -> None:
    client = login(make.user(Role.ADMIN))
    response = client.get(f"/admin/audit?before={before}")
    assert response.status_code == 200


def test_query_integers_out_of_range_read_as_absent(app) -> None:
    with app.test_request_context(f"/?a=7&b={MAX_ID + 1}&c=-{MAX_ID + 2}&d=x"):
        assert request.args.get("a", type=int) == 7
        assert request.args.get("b", type=int) is None
        assert request.args.get("c", default=0, type=int) == 0
        assert request.args.get("d", type=int) is None
        assert request.args.getlist("a", type=int) == [7]
        assert request.args.getlist("b", type=int) == []


def test_form_integers_out_of_range_read_as_absent(app) -> None:
    with app.test_request_context("/", method="POST", data={"n": str(MAX_ID + 1), "m": "12"}):
        assert request.form.get("n", type=int) is None
        assert request.form.get("m", type=int) == 12


# -- NUL characters --------------------------------------------------------------------------


def test_nul_in_the_sign_in_email_is_refused_without_signing_in(client, make) -> None:
    user = make.user(Role.APPRENTICE)
    response = client.post(
        "/sign-in",
        data={"email": user.email + "\x00", "password": "whatever"},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 422
    assert "NUL" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/evidence/{evidence}/edit", {"details-title": "Till\x00", "details-kind": "photo"}),
        ("/evidence/{evidence}/tags", {"tag-reference": UNIT, "tag-justification": "a\x00b"}),
        ("/account/tokens", {"name": "laptop\x00"}),
        ("/apprenticeships/{apprenticeship}/evidence/new", {"written-title": "\x00"}),
    ],
)
def test_nul_in_a_page_form_is_refused(login, item, path, data) -> None:
    client = login(item.apprenticeship.apprentice)
    url = path.format(evidence=item.id, apprenticeship=item.apprenticeship_id)
    response = client.post(url, data=data, headers={"Accept": "text/html"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Evidence, item.id).title == TITLE


def test_nul_in_an_organisation_name_is_refused(login, make) -> None:
    client = login(make.user(Role.ADMIN))
    response = client.post("/admin/organisations", data={"name": "Acme\x00", "kind": "employer"})
    assert response.status_code == 422


def test_nul_in_a_search_is_refused(login, client, item) -> None:
    apprentice = item.apprenticeship.apprentice
    api = client.get(
        f"/api/v1/apprenticeships/{item.apprenticeship_id}/evidence?q=till%00",
        headers=bearer(apprentice),
    )
    assert api.status_code == 422
    assert api.get_json()["error"]["field"] == "q"
    page = login(apprentice).get(f"/apprenticeships/{item.apprenticeship_id}/evidence?q=%00")
    assert page.status_code == 422


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("PATCH", {"title": "Till\u0000"}),
        ("PATCH", {"description": "ok", "witness_name": "A\u0000"}),
        ("POST", {"ref": UNIT, "justification": "x\u0000"}),
    ],
)
def test_nul_in_api_json_text_is_refused(client, item, method, body) -> None:
    path = f"/api/v1/evidence/{item.id}" + ("/tags" if method == "POST" else "")
    response = client.open(
        path, method=method, headers=bearer(item.apprenticeship.apprentice), json=body
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_failed"


def test_nul_in_a_json_key_is_refused(client, item) -> None:
    response = client.patch(
        f"/api/v1/evidence/{item.id}",
        headers=bearer(item.apprenticeship.apprentice),
        json={"title\u0000": "x"},
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/uploads/abc%00def",
        "/uploads/abc%00def",
        "/standards/ST0072%00/AP02",
        "/api/v1/standards/ST0072/AP02%00",
    ],
)
def test_nul_in_a_path_segment_is_not_found(login, item, path) -> None:
    client = login(item.apprenticeship.apprentice)
    response = client.get(path, headers=bearer(item.apprenticeship.apprentice))
    assert response.status_code == 404


# -- JSON bodies on the API ------------------------------------------------------------------


def patch_raw(client, item, body: bytes, content_type: str | None):
    headers = bearer(item.apprenticeship.apprentice)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return client.patch(f"/api/v1/evidence/{item.id}", data=body, headers=headers)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'{"title": "Till"', "application/json", 400, "malformed_request"),
        (b'{"title": "Till \xff\xfe"}', "application/json", 400, "malformed_request"),
        (b'{"title": NaN}', "application/json", 400, "malformed_request"),
        (b"", "application/json", 400, "malformed_request"),
        (b"[" * 50_000 + b"]" * 50_000, "application/json", 400, "malformed_request"),
        (b'{"title": "Till"}', "text/plain", 415, "unsupported_media_type"),
        (b'{"title": "Till"}', None, 415, "unsupported_media_type"),
        (b'{"title": "Till"}', "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b"title=Till", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ],
    ids=[
        "truncated",
        "bad-utf8",
        "nan",
        "empty",
        "50k-deep",
        "text-plain",
        "no-content-type",
        "json-as-form",
        "form",
    ],
)
def test_api_json_bodies_are_parsed_strictly(client, item, body, content_type, status, code):
    response = patch_raw(client, item, body, content_type)
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert (error["status"], error["code"]) == (status, code)
    assert error["message"]
    db.session.expire_all()
    assert db.session.get(Evidence, item.id).title == TITLE  # nothing changed


def test_moderately_nested_json_is_refused_before_validation(client, item) -> None:
    extra: list = [1]
    for _ in range(40):
        extra = [extra]
    nested = json.dumps({"title": "x", "extra": extra})
    response = patch_raw(client, item, nested.encode(), "application/json")
    assert response.status_code == 400


def test_well_formed_json_still_saves(client, item) -> None:
    response = patch_raw(
        client, item, '{"title": "Till — day one"}'.encode(), "application/json; charset=utf-8"
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["title"] == "Till — day one"


def test_a_body_less_api_post_needs_no_content_type(client, item) -> None:
    response = client.post(
        f"/api/v1/apprenticeships/{item.apprenticeship_id}/submissions",
        headers=bearer(item.apprenticeship.apprentice),
    )
    assert response.status_code == 201, response.get_data(as_text=True)


# -- body size ---------------------------------------------------------------------------------


def test_json_bodies_over_the_cap_are_refused(client, item, app, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MAX_BODY_BYTES", 1000)
    body = json.dumps({"title": "x", "description": "y" * 2000}).encode()
    response = patch_raw(client, item, body, "application/json")
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "request_too_large"
    assert "1000 bytes" in error["message"] or "KB" in error["message"] or "kB" in error["message"]


def test_the_default_cap_is_one_mebibyte(client, item) -> None:
    body = json.dumps({"title": "x", "description": "y" * (1024 * 1024)}).encode()
    assert patch_raw(client, item, body, "application/json").status_code == 413


@pytest.mark.parametrize("size", [999, 1000, 1001, 5000])
def test_chunked_bodies_are_refused_past_the_cap_not_cut_short(
    client, item, app, monkeypatch, size
):
    """Werkzeug's own limit would hand the view the first 1000 bytes as if they were all."""
    monkeypatch.setitem(app.config, "MAX_BODY_BYTES", 1000)
    body = b'{"title": "Till", "description": "' + b"y" * (size - 36) + b'"}'
    assert len(body) == size
    response = client.patch(
        f"/api/v1/evidence/{item.id}",
        input_stream=io.BytesIO(body),
        headers={
            **bearer(item.apprenticeship.apprentice),
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
        },
        environ_overrides={"wsgi.input_terminated": True},  # as gunicorn sets it
    )
    assert response.status_code == (200 if size <= 1000 else 413), response.get_data(as_text=True)


def test_page_forms_over_the_cap_are_refused(client, app, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MAX_BODY_BYTES", 1000)
    response = client.post(
        "/sign-in", data={"email": "a" * 2000, "password": "x"}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 413


def test_uploads_are_not_capped(client, item, app, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MAX_BODY_BYTES", 1000)
    assert len(JPEG) > 1000
    response = client.post(
        f"/api/v1/apprenticeships/{item.apprenticeship_id}/evidence",
        data=JPEG,
        headers={**bearer(item.apprenticeship.apprentice), "X-Filename": "more.jpg"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)


def test_upload_endpoints_exist(app) -> None:
    """A renamed upload view would silently fall under the body cap."""
    assert set(app.view_functions) >= UPLOAD_ENDPOINTS
