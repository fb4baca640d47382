"""The one place a request commits: after a handler that succeeded, never after one that failed.

Handlers only flush (``tests/unit/test_commit_discipline.py`` keeps them so);
``showcase.db.end_request_transaction`` commits a mutating request answered under 400 and rolls
back everything else. These routes flush a row and then answer in each way a handler can, on an
app of their own (routes can't be added to the shared app once it has served a request, and
what is committed here must really be committed, not inside a test's rolled-back transaction).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from flask import Blueprint, Flask, Response, redirect, request, stream_with_context
from sqlalchemy import event, exc, func, insert, select, table
from sqlalchemy.orm import Session

from showcase import db
from showcase.accounts.models import Organisation, OrganisationKind
from showcase.db import get_database
from showcase.errors import Conflict, ValidationFailed
from tests.conftest import built_app

probe = Blueprint("commit_probe", __name__)


def _add(name: str) -> None:
    db.session.add(Organisation(name=name, kind=OrganisationKind.EMPLOYER))
    db.session.flush()


@probe.route("/_probe/<outcome>/<name>", methods=["GET", "POST", "PUT", "DELETE"])
def flush_then(outcome: str, name: str) -> Response | tuple[str, int]:
    """Flush a row, then answer as ``outcome`` says."""
    _add(name)
    if outcome == "created":
        return "created", 201
    if outcome == "redirect":
        return redirect("/elsewhere")
    if outcome == "refused":
        raise Conflict("Refused after flushing.")
    if outcome == "correctable":
        raise ValidationFailed("Refused after flushing.")
    if outcome == "answered-422":
        return "not like that", 422
    if outcome == "crashed":
        raise RuntimeError("boom after flushing")
    raise AssertionError(outcome)


def _committed_elsewhere(name: str) -> bool:
    """Whether ``name`` is committed, asked on a connection of its own (not the request's)."""
    with get_database().engine.connect() as conn:
        found = conn.scalar(select(Organisation.id).where(Organisation.name == name))
    return found is not None


@probe.post("/_probe/streamed/<name>")
def streamed(name: str) -> Response:
    """A body produced after the handler returns: by then the request has committed."""
    _add(name)

    def body() -> Iterator[str]:
        yield "committed" if _committed_elsewhere(name) else "not committed"

    return Response(stream_with_context(body()), mimetype="text/plain")


#: ``Session.info`` key: make this session's commit fail as if the database had gone away.
FAIL_COMMIT = "commit_probe.fail_commit"


def _fail_commit_if_asked(session: Session) -> None:
    if session.info.pop(FAIL_COMMIT, False):
        raise exc.OperationalError("COMMIT", {}, Exception("server closed the connection"))


@probe.post("/_probe/commit-fails/<name>")
def commit_fails(name: str) -> tuple[str, int]:
    """Succeed, but the commit at the request's end finds the database gone."""
    _add(name)
    db.session.info[FAIL_COMMIT] = True
    return "created", 201


@probe.get("/_probe/streamed-read")
def streamed_read() -> Response:
    """A GET whose body reads the database while it streams, after the rollback at its end."""
    names = request.args.getlist("name")

    def body() -> Iterator[str]:
        for name in names:
            found = db.session.scalar(select(Organisation.name).where(Organisation.name == name))
            yield f"{found}\n"

    return Response(stream_with_context(body()), mimetype="text/plain")


@probe.get("/_probe/raw-insert/<name>")
def raw_insert(name: str) -> tuple[str, int]:
    """A GET that writes without the ORM's flush: a Core INSERT through the session."""
    db.session.execute(insert(Organisation).values(name=name, kind=OrganisationKind.EMPLOYER))
    return "inserted", 200


@probe.get("/_probe/read/<name>")
def read(name: str) -> str:
    found = db.session.scalar(select(Organisation.id).where(Organisation.name == name))
    return str(found)


@probe.get("/_probe/prepared")
def prepared() -> str:
    """How many statements this connection has prepared on the server."""
    return str(db.session.scalar(select(func.count()).select_from(table("pg_prepared_statements"))))


@pytest.fixture(scope="module")
def probed_app(database_kind, tmp_path_factory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("commits")
    # Errors are answered, not raised into the test, as in production.
    with built_app(database_kind, tmp, "_commits", PROPAGATE_EXCEPTIONS=False) as application:
        application.register_blueprint(probe)
        event.listen(get_database(application).sessionmaker, "before_commit", _fail_commit_if_asked)
        yield application


def committed(app: Flask, name: str) -> bool:
    with app.app_context():
        return _committed_elsewhere(name)


def fresh() -> str:
    return f"Probe {uuid.uuid4().hex[:12]}"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
@pytest.mark.parametrize(("outcome", "status"), [("created", 201), ("redirect", 302)])
def test_a_mutating_request_that_succeeds_is_committed(probed_app, method, outcome, status):
    name = fresh()
    response = probed_app.test_client().open(f"/_probe/{outcome}/{name}", method=method)
    assert response.status_code == status
    assert committed(probed_app, name)


@pytest.mark.parametrize(
    ("outcome", "status"),
    [("refused", 409), ("correctable", 422), ("answered-422", 422), ("crashed", 500)],
)
def test_a_request_that_fails_after_flushing_leaves_nothing(probed_app, outcome, status):
    name = fresh()
    response = probed_app.test_client().post(
        f"/_probe/{outcome}/{name}", headers={"Accept": "application/json"}
    )
    assert response.status_code == status
    assert not committed(probed_app, name)


def test_a_commit_that_fails_is_answered_like_an_error_in_the_handler(probed_app):
    """The commit runs after the handler; a database lost there is still a 503 with
    Retry-After (not a bare 500), with the usual headers, and nothing is saved."""
    name = fresh()
    response = probed_app.test_client().post(
        f"/_probe/commit-fails/{name}", headers={"Accept": "application/json"}
    )
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "database_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert not committed(probed_app, name)


def test_a_safe_request_is_never_committed(probed_app):
    name = fresh()
    assert probed_app.test_client().get(f"/_probe/created/{name}").status_code == 201
    assert not committed(probed_app, name)


def test_a_streamed_body_follows_the_commit(probed_app):
    """The hook runs before the body is sent: what the body streams is already committed."""
    name = fresh()
    response = probed_app.test_client().post(f"/_probe/streamed/{name}")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "committed"
    assert committed(probed_app, name)


def test_a_streamed_get_body_still_reads_after_the_rollback(probed_app):
    """A download or export streams after its GET's transaction is rolled back; it reads on."""
    name = fresh()
    client = probed_app.test_client()
    assert client.post(f"/_probe/created/{name}").status_code == 201
    response = client.get("/_probe/streamed-read", query_string={"name": [name, "no such"]})
    assert response.status_code == 200
    assert response.get_data(as_text=True) == f"{name}\nNone\n"


def test_a_safe_request_that_writes_without_flushing_is_not_committed_either(probed_app):
    name = fresh()
    assert probed_app.test_client().get(f"/_probe/raw-insert/{name}").status_code == 200
    assert not committed(probed_app, name)


def test_reads_keep_the_connections_prepared_statements(probed_app, database_kind):
    """psycopg prepares a statement after its fifth execution on a connection and forgets all of
    them on ROLLBACK; reads that wrote nothing end with COMMIT, so a page's queries stay
    prepared from one request to the next (each request here runs the query once)."""
    if database_kind != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    client = probed_app.test_client()
    for _ in range(8):
        assert client.get(f"/_probe/read/{fresh()}").status_code == 200
    assert int(client.get("/_probe/prepared").get_data(as_text=True)) >= 1
