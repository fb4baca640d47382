"""The API's contract, one finding at a time: limits follow the model, ids outside the integer
range are refused (422) on every database, permission comes before anything about the people
or items named, and the OpenAPI document declares the errors the API really sends."""

from __future__ import annotations

import csv
import datetime as dt
import io

import jsonschema
import pytest

from showcase import db
from showcase.accounts.models import OrganisationKind, Role
from showcase.assessment import services as assessment
from showcase.assessment.models import AssessmentStatus
from showcase.evidence.models import EvidenceKind
from showcase.standards.services import rules_for
from showcase.storage import blobs_removed_on_failure
from showcase.storage_ext import get_storage
from showcase.submissions import services as submissions
from tests.factories import add_item, build_journey, prepare
from tests.factories import api_headers as bearer

TOO_BIG = 2_147_483_648  # one more than PostgreSQL's integer holds


def document(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


# -- limits from the model -------------------------------------------------------------------


@pytest.mark.parametrize("code", ["ST0072", "TLII4001"])
def test_every_bundled_ref_can_be_tagged_through_the_api(client, make, code) -> None:
    apprenticeship = make.apprenticeship(code=code)
    item = add_item(apprenticeship, EvidenceKind.WITNESS_STATEMENT)
    headers = bearer(apprenticeship.apprentice)
    units = [u.ref for u in rules_for(apprenticeship.standard).units]
    if code == "ST0072":
        assert max(len(ref) for ref in units) > 40  # the old limit refused 28 of these
    for ref in units:
        response = client.post(
            f"/api/v1/evidence/{item.id}/tags",
            headers=headers,
            json={"ref": ref, "justification": "This shows it."},
        )
        assert response.status_code == 201, (ref, response.get_json())


# -- ids outside the integer range -----------------------------------------------------------


@pytest.fixture
def journey(make):
    return build_journey(make)


@pytest.fixture
def locked(journey):
    draft = prepare(journey)
    storage = get_storage()
    with blobs_removed_on_failure(storage) as written:
        submissions.lock_submission(
            journey[2]["apprentice"], draft, storage=storage, written=written
        )
    return draft


def test_ids_beyond_the_integer_range_are_refused(client, make, journey, locked) -> None:
    item, _ao, people, _items = journey
    draft = submissions.start_version(people["apprentice"], item)
    calls = [
        (
            people["ao_admin"],
            "post",
            f"/api/v1/submissions/{locked.id}/assessment",
            {"assessor_id": TOO_BIG},
        ),
        (
            people["tutor"],
            "post",
            f"/api/v1/apprenticeships/{item.id}/reviews/12/actions",
            {"text": "Do it", "owner_id": TOO_BIG, "due_date": dt.date.today().isoformat()},
        ),
        (
            people["apprentice"],
            "put",
            f"/api/v1/submissions/{draft.id}/items",
            {"evidence_ids": [TOO_BIG]},
        ),
        (
            people["apprentice"],
            "put",
            f"/api/v1/submissions/{draft.id}/summary",
            {"summary": "Mine", "assessment_organisation_id": TOO_BIG},
        ),
        (
            make.user(Role.ADMIN, None),
            "post",
            "/api/v1/apprenticeships",
            {
                "apprentice_id": TOO_BIG,
                "standard": "ST0072/AP02",
                "start_date": dt.date.today().isoformat(),
                "line_manager_id": TOO_BIG,
                "tutor_id": TOO_BIG,
            },
        ),
    ]
    for user, method, path, body in calls:
        response = getattr(client, method)(path, headers=bearer(user), json=body)
        assert response.status_code == 422, (path, response.get_json())
        assert response.get_json()["error"]["code"] == "validation_failed"


# -- permission before anything about the people or items named ------------------------------


def enrolment(apprentice_id: int, line_manager_id: int, tutor_id: int) -> dict:
    return {
        "apprentice_id": apprentice_id,
        "standard": "ST0072/AP02",
        "start_date": dt.date.today().isoformat(),
        "line_manager_id": line_manager_id,
        "tutor_id": tutor_id,
    }


def test_enrolment_checks_permission_before_the_people(client, make) -> None:
    apprenticeship = make.apprenticeship()
    assessor = make.user(Role.ASSESSOR, name="Alex Morgan")
    tutor_token = bearer(apprenticeship.tutor)
    answers = {
        client.post("/api/v1/apprenticeships", headers=tutor_token, json=enrolment(*ids)).get_data(
            as_text=True
        )
        for ids in [
            (assessor.id, assessor.id, assessor.id),
            (999_999, 999_999, 999_999),
            (apprenticeship.apprentice_id, apprenticeship.line_manager_id, apprenticeship.tutor_id),
        ]
    }
    assert len(answers) == 1
    (answer,) = answers
    assert '"status":403' in answer.replace(" ", "") and "Alex Morgan" not in answer


def test_enrolment_answers_the_same_for_every_id_not_theirs(client, make) -> None:
    employer = make.organisation(OrganisationKind.EMPLOYER)
    admin = make.user(Role.ADMIN, employer)
    own_manager = make.user(Role.EMPLOYER_CONTACT, employer)
    own_apprentice = make.user(Role.APPRENTICE, employer)
    tutor = make.user(Role.TUTOR)
    elsewhere = make.apprenticeship()  # another employer's apprentice
    assessor = make.user(Role.ASSESSOR, name="Alex Morgan")
    headers = bearer(admin)
    answers = []
    for stranger in (999_999, assessor.id, elsewhere.apprentice_id, own_manager.id):
        response = client.post(
            "/api/v1/apprenticeships",
            headers=headers,
            json=enrolment(stranger, own_manager.id, tutor.id),
        )
        answers.append((response.status_code, response.get_data(as_text=True)))
    assert len(set(answers)) == 1, answers
    status, body = answers[0]
    assert status == 403 and "Alex Morgan" not in body and elsewhere.apprentice.name not in body
    ok = client.post(
        "/api/v1/apprenticeships",
        headers=headers,
        json=enrolment(own_apprentice.id, own_manager.id, tutor.id),
    )
    assert ok.status_code == 201, ok.get_json()


@pytest.fixture
def assessed(journey, locked):
    _item, _ao, people, _items = journey
    return assessment.assign(people["ao_admin"], locked, people["assessor"])


def put_no_judgements(client, assessment_id: int, user):
    return client.put(
        f"/api/v1/assessments/{assessment_id}/judgements",
        headers=bearer(user),
        json={"judgements": []},
    )


@pytest.mark.parametrize(
    ("who", "expected"), [("ao_admin", 403), ("other_assessor", 404), ("assessor", 200)]
)
def test_only_the_assessor_may_put_judgements_even_none(
    client, journey, assessed, who, expected
) -> None:
    assert put_no_judgements(client, assessed.id, journey[2][who]).status_code == expected


def test_a_quality_assurer_may_not_put_judgements_even_none(client, journey, assessed) -> None:
    assessed.status = AssessmentStatus.GRADED  # what a quality assurer samples
    db.session.flush()
    assert put_no_judgements(client, assessed.id, journey[2]["qa"]).status_code == 403


# -- the CSV guard ---------------------------------------------------------------------------


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", ";", "|", "\t", "\r"])
def test_dashboard_csv_neutralises_cells_a_spreadsheet_would_interpret(login, make, lead) -> None:
    tutor = make.user(Role.TUTOR)
    apprentice = make.user(Role.APPRENTICE, name=f"{lead}cmd|' /C calc'!A0")
    make.apprenticeship(apprentice=apprentice, tutor=tutor)
    db.session.flush()
    body = login(tutor).get("/dashboard.csv").get_data(as_text=True)
    (row,) = csv.DictReader(io.StringIO(body))
    assert row["apprentice"] == f"'{lead}cmd|' /C calc'!A0"


# -- the document declares what the API sends ------------------------------------------------


def test_errors_match_the_documented_error_schema(client, make) -> None:
    doc = document(client)
    admin = make.user(Role.ADMIN, None)
    answers = {
        (422, "post", "/api/v1/apprenticeships"): client.post(
            "/api/v1/apprenticeships", headers=bearer(admin), json={"x": 1}
        ),
        (401, "get", "/api/v1/me"): client.get("/api/v1/me"),
        (404, "get", "/api/v1/apprenticeships/{apprenticeship_id}"): client.get(
            "/api/v1/apprenticeships/999999", headers=bearer(admin)
        ),
    }
    for (status, method, path), response in answers.items():
        assert response.status_code == status
        declared = doc["paths"][path][method]["responses"][str(status)]
        schema = declared["content"]["application/json"]["schema"]
        resolver_doc = {**schema, "components": doc["components"]}
        jsonschema.validate(response.get_json(), resolver_doc)


def test_every_operation_declares_its_errors_and_the_file_route_is_documented(client) -> None:
    doc = document(client)
    file_operation = doc["paths"]["/api/v1/evidence/{evidence_id}/file"]["get"]
    assert {"200", "206", "401", "404"} <= set(file_operation["responses"])
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            # No token; a body that is not JSON, does not parse or is too large; a NUL.
            assert {"401", "400", "413", "415", "422"} <= statuses, (method, path)
            if "{" in path:
                assert "404" in statuses, (method, path)
