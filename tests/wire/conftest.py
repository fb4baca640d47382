"""Wire tests: a real gunicorn in a subprocess, spoken to over raw sockets.

The test client can't send half a body and hang up, and gunicorn (unlike the test client and
werkzeug's dev server) hands the application a body that simply ends early. So these tests run
``gunicorn wsgi:app`` on a free loopback port over its own database and upload folder, with one
sync worker: requests are handled strictly one after another, so any request made after a
broken one is answered only once the broken one has been fully dealt with.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from flask import Flask

from showcase import db
from showcase.accounts.services import create_api_token
from showcase.storage import MIN_PART_SIZE
from tests.conftest import built_app
from tests.factories import PASSWORD, Factory
from tests.s3server import free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
START_TIMEOUT = 30.0
#: How long every worker may take to import and build the app on a loaded machine.
READY_TIMEOUT = 180.0
#: Sent on every request: Flask-Login's strong session protection ties the session cookie to
#: the client's address and User-Agent.
USER_AGENT = "showcase-wire-tests"


@dataclass
class Server:
    """A running gunicorn and what the tests need to talk to it."""

    app: Flask
    host: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    apprenticeship_id: int
    token: str
    cookie: str

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def worker_pids(self) -> list[int]:
        """The master's worker processes (read from /proc, by the master's id)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def wait_for_worker(self, timeout: float = START_TIMEOUT) -> None:
        """Block until the server answers (a killed worker is replaced by the master)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                requests.get(f"{self.url}/sign-in", timeout=2)
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn stopped answering:\n{self.log.read_text()[-3000:]}")


def environment(app: Flask) -> dict[str, str]:
    """The environment a gunicorn needs to serve ``app``'s database and storage."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOWCASE_")}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    env["SHOWCASE_ENV"] = "testing"
    for name in (
        "DATABASE_URL",
        "STORAGE_BACKEND",
        "UPLOAD_ROOT",
        "S3_BUCKET",
        "S3_PREFIX",
        "S3_ENDPOINT_URL",
        "S3_REGION",
        "S3_ACCESS_KEY_ID",
        "S3_SECRET_ACCESS_KEY",
        "RESUMABLE_PART_BYTES",
    ):
        value = app.config.get(name)
        if value is not None:
            env[f"SHOWCASE_{name}"] = str(value)
    return env


def sign_in(url: str, email: str) -> str:
    """Sign in through the real form; return the session cookie as a Cookie header value."""
    with requests.Session() as browser:
        browser.headers["User-Agent"] = USER_AGENT
        response = browser.post(
            f"{url}/sign-in",
            data={"email": email, "password": PASSWORD},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 302, response.text[:500]
        return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


def _wait_until_ready(url: str, workers: int, log: Path) -> None:
    """Block until every worker has loaded the app: a loaded machine can take most of a minute
    to import it, and a request sent before then waits for it."""
    deadline = time.monotonic() + READY_TIMEOUT
    answered = 0
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{url}/healthz", timeout=5).status_code == 200:
                answered += 1
                if answered >= workers:
                    return
                continue
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn's workers did not answer:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def gunicorn_process(
    env: dict[str, str], log: Path, workers: int = 1
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """Run ``gunicorn wsgi:app`` with ``env`` on a free loopback port until the block ends;
    yields the port and the master process once it answers."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(GUNICORN),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--timeout",
                "60",
                "--access-logfile",
                "-",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while process.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.1)
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
        _wait_until_ready(f"http://127.0.0.1:{port}", workers, log)
        yield port, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def gunicorn(app: Flask, tmp: Path) -> Iterator[Server]:
    """Seed a portfolio, start gunicorn over ``app``'s database and storage, sign in."""
    with app.app_context():
        portfolio = Factory().apprenticeship()
        _token, plain = create_api_token(portfolio.apprentice, name="wire")
        email, apprenticeship_id = portfolio.apprentice.email, portfolio.id
        db.session.commit()
    log = tmp / "gunicorn.log"
    with gunicorn_process(environment(app), log) as (port, process):
        server = Server(app, "127.0.0.1", port, process, log, apprenticeship_id, plain, "")
        server.wait_for_worker()
        server.cookie = sign_in(server.url, email)
        yield server


@pytest.fixture(scope="module")
def server(database_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """gunicorn over a new database and a local upload folder."""
    tmp = tmp_path_factory.mktemp(f"wire-{database_kind}")
    with (
        built_app(database_kind, tmp, "_wire", RESUMABLE_PART_BYTES=MIN_PART_SIZE) as app,
        gunicorn(app, tmp) as running,
    ):
        yield running
