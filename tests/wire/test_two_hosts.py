"""Two app hosts over one PostgreSQL, one S3 server and one Redis: the deployment the README
describes (stateless app hosts behind a load balancer).

Each "host" is its own gunicorn master on its own port with its own worker processes and its
own temporary folder, sharing nothing with the other but the three servers. Nothing here talks
to the in-process app except to seed data and read results: every request goes over HTTP.
Shown: a session made on one host works on the other (and signing out on one ends it on
both); sign-in attempts are counted across both; a showcase locked through one host refuses a
change through the other; a job queued by one host is run by a worker started beside the other.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from showcase import db
from showcase.accounts.services import create_api_token
from showcase.mail.models import OutboxMessage
from tests.conftest import built_app
from tests.factories import Factory, build_journey, prepare
from tests.s3server import moto_server, new_bucket, s3_settings
from tests.s3server import s3_client as client_for
from tests.wire.conftest import ROOT, USER_AGENT, environment, gunicorn_process, sign_in

REDIS = "redis://127.0.0.1:6379"
#: Redis databases of their own, so no other test's counters or queue interfere.
RATE_LIMIT_DB, QUEUE_DB = 12, 11


@dataclass
class Hosts:
    app: Flask
    a: str
    b: str
    env: dict[str, str]


def _redis_or_skip() -> None:
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        for number in (RATE_LIMIT_DB, QUEUE_DB):
            Redis.from_url(f"{REDIS}/{number}", socket_connect_timeout=2).flushdb()
    except RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI=true: {error}")
        pytest.skip(f"Redis is not reachable at {REDIS}: {error}")


@pytest.fixture(scope="module")
def hosts(database_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosts]:
    if database_kind != "postgresql":
        pytest.skip("several hosts share one database server: PostgreSQL, not a SQLite file")
    _redis_or_skip()
    tmp = tmp_path_factory.mktemp("two-hosts")
    with moto_server() as s3_url:
        bucket = new_bucket(client_for(s3_url), "hosts")
        settings: dict[str, Any] = {
            **s3_settings(s3_url, bucket, "hosts/"),
            # No host has a folder the other can see: a local upload root is each host's own.
            "UPLOAD_ROOT": str(tmp / "not-shared"),
        }
        with built_app(database_kind, tmp, "_hosts", **settings) as app:
            env = {
                **environment(app),
                "SHOWCASE_RATELIMIT_ENABLED": "true",
                "SHOWCASE_RATELIMIT_STORAGE_URI": f"{REDIS}/{RATE_LIMIT_DB}",
                "SHOWCASE_SIGN_IN_RATE_LIMIT": "3 per minute",
                "SHOWCASE_JOBS": "rq",
                "SHOWCASE_REDIS_URL": f"{REDIS}/{QUEUE_DB}",
                "SHOWCASE_JOBS_QUEUE": "two-hosts",
            }
            logs = tmp / "a.log", tmp / "b.log"
            with (
                gunicorn_process(_own_folder(env, tmp / "a"), logs[0], workers=2) as (port_a, _),
                gunicorn_process(_own_folder(env, tmp / "b"), logs[1], workers=2) as (port_b, _),
            ):
                yield Hosts(app, f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}", env)


@pytest.fixture(autouse=True)
def fresh_limits(hosts: Hosts) -> None:
    """Each test starts with no sign-in attempts counted (3 a minute here): the tests of this
    module may run in any order, and one of them spends the allowance on purpose."""
    from redis import Redis

    Redis.from_url(f"{REDIS}/{RATE_LIMIT_DB}").flushdb()


@pytest.fixture(scope="module")
def factory() -> Factory:
    """One factory for the module: its numbering keeps emails unique across committed tests."""
    return Factory()


def _own_folder(env: dict[str, str], folder: Path) -> dict[str, str]:
    folder.mkdir()
    return {**env, "SHOWCASE_UPLOAD_ROOT": str(folder), "TMPDIR": str(folder)}


def _get(url: str, cookie: str = "") -> requests.Response:
    headers = {"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})}
    return requests.get(url, headers=headers, allow_redirects=False, timeout=30)


def test_a_session_made_on_one_host_works_on_the_other_and_ends_on_both(hosts, factory) -> None:
    with hosts.app.app_context():
        person = factory.apprenticeship().apprentice
        email, name = person.email, person.name
        db.session.commit()
    cookie = sign_in(hosts.a, email)
    on_b = _get(f"{hosts.b}/", cookie)
    assert on_b.status_code == 200
    assert name in on_b.text
    assert _get(f"{hosts.b}/").status_code == 302  # and not without the cookie

    signed_out = requests.post(
        f"{hosts.b}/sign-out",
        headers={"User-Agent": USER_AGENT, "Cookie": cookie},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_out.status_code == 302
    after = _get(f"{hosts.a}/", cookie)
    assert after.status_code == 302
    assert "/sign-in" in after.headers["Location"]


def test_sign_in_attempts_are_counted_across_hosts(hosts) -> None:

    statuses = []
    for attempt in range(4):
        host = (hosts.a, hosts.b)[attempt % 2]
        response = requests.post(
            f"{host}/sign-in",
            data={"email": "nobody@example.test", "password": "wrong-password"},
            headers={"User-Agent": USER_AGENT},
            allow_redirects=False,
            timeout=30,
        )
        statuses.append(response.status_code)
    # Three refusals of the password (two on one host, one on the other), then the shared
    # counter trips on whichever host is asked next.
    assert statuses == [401, 401, 401, 429]


def test_a_lock_taken_through_one_host_refuses_a_change_through_the_other(hosts, factory) -> None:
    with hosts.app.app_context():
        journey = build_journey(factory)
        draft = prepare(journey)
        apprentice, item_id = journey[2]["apprentice"], journey[3][0].id
        _token, token = create_api_token(apprentice, name="two-hosts")
        draft_id = draft.id
        db.session.commit()
    bearer = {"Authorization": f"Bearer {token}"}

    locked = requests.post(
        f"{hosts.a}/api/v1/submissions/{draft_id}/lock", headers=bearer, timeout=30
    )
    assert locked.status_code == 200, locked.text
    assert locked.json()["locked_at"]

    change = requests.patch(
        f"{hosts.b}/api/v1/evidence/{item_id}",
        json={"title": "Changed after the lock"},
        headers=bearer,
        timeout=30,
    )
    assert change.status_code == 409, change.text
    verified = requests.post(
        f"{hosts.b}/api/v1/submissions/{draft_id}/verify", headers=bearer, timeout=30
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["ok"] is True


def test_a_job_queued_by_one_host_is_run_by_a_worker_beside_the_other(
    hosts, factory, tmp_path
) -> None:
    with hosts.app.app_context():
        email = factory.apprenticeship().apprentice.email
        db.session.commit()
    asked = requests.post(
        f"{hosts.a}/sign-in/forgot",
        data={"email": email},
        headers={"User-Agent": USER_AGENT},
        timeout=30,
    )
    assert asked.status_code == 200
    assert _outbox(hosts.app, email) == []  # queued, not sent: no worker has run yet

    worker = subprocess.run(
        [str(Path(sys.executable).with_name("flask")), "jobs", "worker", "--burst"],
        cwd=ROOT,
        env={**_own_folder(hosts.env, tmp_path / "worker"), "FLASK_APP": "wsgi"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr
    subjects = _outbox(hosts.app, email)
    assert len(subjects) == 1
    assert "password" in subjects[0].lower()


def _outbox(app: Flask, email: str) -> list[str]:
    with app.app_context(), contextlib.closing(db.session):
        return list(
            db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.to == email))
        )
