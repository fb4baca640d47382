"""The JSON API: tokens, OpenAPI document, errors, and enrolment through the same services."""

from __future__ import annotations

import datetime as dt

from showcase import db
from showcase.accounts import services
from showcase.accounts.models import ApiToken, Role
from tests.factories import api_headers as bearer


def test_openapi_document(client) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    assert "/api/v1/apprenticeships/{apprenticeship_id}" in doc["paths"]
    assert "/api/v1/me" in doc["paths"]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_api_needs_a_token(client) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.get_json()["error"]["message"]


def test_api_ignores_session_cookies(login, make) -> None:
    client = login(make.user(Role.TUTOR))
    assert client.get("/api/v1/me").status_code == 401


def test_me(client, make) -> None:
    user = make.user(Role.TUTOR)
    body = client.get("/api/v1/me", headers=bearer(user)).get_json()
    assert body["email"] == user.email and body["role"] == "tutor"


def test_token_is_hashed_at_rest_and_revocable(client, make) -> None:
    user = make.user(Role.TUTOR)
    token, plain = services.create_api_token(user, name="script")
    assert plain not in (token.token_hash, token.prefix)
    assert db.session.get(ApiToken, token.id).token_hash != plain
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    services.revoke_api_token(user, token.id)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_admin_enrols_through_the_api(client, make) -> None:
    tutor = make.user(Role.TUTOR)
    manager = make.user(Role.EMPLOYER_CONTACT)
    apprentice = make.user(Role.APPRENTICE, manager.organisation)
    admin = make.user(Role.ADMIN, manager.organisation)
    response = client.post(
        "/api/v1/apprenticeships",
        headers=bearer(admin),
        json={
            "apprentice_id": apprentice.id,
            "standard": "ST0072/AP02",
            "start_date": dt.date.today().isoformat(),
            "line_manager_id": manager.id,
            "tutor_id": tutor.id,
        },
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["standard"] == "ST0072/AP02"


def test_enrolment_refused_for_other_organisations(client, make) -> None:
    tutor = make.user(Role.TUTOR)
    manager = make.user(Role.EMPLOYER_CONTACT)
    apprentice = make.user(Role.APPRENTICE, manager.organisation)
    outsider = make.user(Role.ADMIN, make.organisation())
    response = client.post(
        "/api/v1/apprenticeships",
        headers=bearer(outsider),
        json={
            "apprentice_id": apprentice.id,
            "standard": "ST0072/AP02",
            "start_date": dt.date.today().isoformat(),
            "line_manager_id": manager.id,
            "tutor_id": tutor.id,
        },
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_invalid_body_gets_a_json_error(client, make) -> None:
    admin = make.user(Role.ADMIN, None)
    response = client.post("/api/v1/apprenticeships", headers=bearer(admin), json={"x": 1})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert "apprentice_id" in error["message"]


def test_unknown_api_route_is_json_404(client, make) -> None:
    response = client.get("/api/v1/nothing-here", headers=bearer(make.user(Role.TUTOR)))
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404
