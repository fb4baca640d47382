"""Jobs on a real queue: a real `flask jobs worker` process works on Redis and sends to a real
SMTP server on loopback (aiosmtpd); the tests read what arrives.

The app here commits (a worker in another process must see the rows), so it has a database of
its own, and a queue name of its own in a Redis database number of its own, per run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from showcase import db, jobs
from showcase.audit.services import record
from showcase.mail.jobs import deliver_email
from showcase.mail.models import EmailDelivery
from showcase.notifications import services
from showcase.notifications.jobs import send_digests
from showcase.notifications.models import EmailMode, Kind, Notification
from tests.conftest import built_app
from tests.factories import Factory
from tests.mailserver import PASSWORD, USERNAME, MailServer, _free_port

REDIS_URL = os.environ.get("SHOWCASE_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
QUEUE = f"showcase-test-{os.getpid()}"
ROOT = Path(__file__).resolve().parents[2]


def _redis_or_skip() -> None:
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI=true: {error}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")


@pytest.fixture(scope="module")
def queued_app(database_kind, tmp_path_factory) -> Iterator[Flask]:
    _redis_or_skip()
    settings = {
        "JOBS": "rq",
        "REDIS_URL": REDIS_URL,
        "JOBS_QUEUE": QUEUE,
        "JOBS_RETRY_INTERVALS": [1, 1, 1, 1, 1, 1, 1, 1],
    }
    with built_app(database_kind, tmp_path_factory.mktemp("jobs"), "_jobs", **settings) as app:
        yield app
        with app.app_context():
            jobs.queue().empty()
            for registry in (jobs.queue().failed_job_registry, jobs.queue().scheduled_job_registry):
                for job_id in registry.get_job_ids():
                    registry.remove(job_id, delete_job=True)


def worker_env(app: Flask, smtp_port: int) -> dict[str, str]:
    """The worker's configuration: the app's, through SHOWCASE_* variables (parsed as JSON)."""
    return {
        **os.environ,
        "FLASK_APP": "wsgi",
        "SHOWCASE_ENV": "testing",
        "SHOWCASE_DATABASE_URL": app.config["DATABASE_URL"],
        "SHOWCASE_UPLOAD_ROOT": app.config["UPLOAD_ROOT"],
        "SHOWCASE_JOBS": "rq",
        "SHOWCASE_REDIS_URL": REDIS_URL,
        "SHOWCASE_JOBS_QUEUE": QUEUE,
        "SHOWCASE_JOBS_RETRY_INTERVALS": "[1, 1, 1, 1, 1, 1, 1, 1]",
        "SHOWCASE_MAIL_BACKEND": "smtp",
        "SHOWCASE_SMTP_HOST": "127.0.0.1",
        "SHOWCASE_SMTP_PORT": str(smtp_port),
        "SHOWCASE_SMTP_STARTTLS": "false",
        "SHOWCASE_SMTP_TIMEOUT": "3",
        "SHOWCASE_SMTP_USERNAME": USERNAME,
        "SHOWCASE_SMTP_PASSWORD": PASSWORD,
        "SHOWCASE_SMTP_FROM": "Showcase <no-reply@showcase.test>",
    }


def flask_jobs(app: Flask, smtp_port: int, *args: str) -> subprocess.Popen:
    flask = Path(sys.executable).with_name("flask")
    return subprocess.Popen(
        [str(flask), "jobs", *args],
        cwd=ROOT,
        env=worker_env(app, smtp_port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def burst(app: Flask, smtp_port: int) -> str:
    """Run a worker until the queue is empty; its output."""
    process = flask_jobs(app, smtp_port, "worker", "--burst", "--no-scheduler")
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output
    return output


class SMTPServer:
    """aiosmtpd on a fixed port, which the test starts and stops (the server "goes down")."""

    def __init__(self) -> None:
        self.mail = MailServer("127.0.0.1", _free_port())
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(
            self.mail,
            hostname=self.mail.host,
            port=self.mail.port,
            authenticator=self.mail.authenticate,
            auth_require_tls=False,
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


#: One factory for the module: its rows are committed, so its emails must never repeat.
_FACTORY = Factory()


def committed(app: Flask, build: Callable[[Factory], object]) -> object:
    """Run ``build`` in the app and commit (the commit queues its jobs on Redis)."""
    with app.app_context():
        result = build(_FACTORY)
        db.session.commit()
        return result


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


def _tag_sent_back(make: Factory) -> tuple[int, str, int]:
    portfolio = make.apprenticeship()
    record(
        portfolio.tutor,
        "tag.sent_back",
        portfolio,
        apprenticeship_id=portfolio.id,
        evidence_id=41,
        ref="ST0072/x/1.1",
        comment="private words",
    )
    (notification,) = db.session.scalars(
        select(Notification).where(Notification.recipient_id == portfolio.apprentice.id)
    ).all()
    return notification.email_delivery_id, portfolio.apprentice.email, notification.id


def _delivery(app: Flask, delivery_id: int) -> EmailDelivery:
    with app.app_context():
        return db.session.get(EmailDelivery, delivery_id)


def test_a_worker_sends_the_notification_email_once(queued_app, smtp) -> None:
    delivery_id, address, _ = committed(queued_app, _tag_sent_back)
    burst(queued_app, smtp.mail.port)
    (received,) = smtp.mail.received
    assert received.rcpt_tos == [address]
    message = received.message
    assert message["Subject"] == "Your tag ST0072/x/1.1 was sent back"
    body = received.body()
    assert "http://127.0.0.1:5000/evidence/41" in body
    assert "because your tutor sent back one of your tags" in body
    assert "private words" not in body
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("http://127.0.0.1:5000/notifications/unsubscribe/")
    assert unsubscribe in body
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert _delivery(queued_app, delivery_id).sent_at is not None

    # The same job again, as a retry after a successful send would run it: nothing is sent.
    with queued_app.app_context():
        jobs.put_on_queue(jobs.PendingJob(jobs.function_name(deliver_email), (delivery_id,)))
    burst(queued_app, smtp.mail.port)
    assert len(smtp.mail.received) == 1


def test_the_digest_groups_each_persons_day_and_runs_once(queued_app, smtp) -> None:
    def build(make: Factory) -> tuple[str, str]:
        first, second = make.apprenticeship(), make.apprenticeship()
        for portfolio in (first, second):
            services.set_preferences(portfolio.apprentice, {Kind.TAG_SENT_BACK: EmailMode.DIGEST})
        for index, kind in enumerate((Kind.TAG_ACCEPTED, Kind.TAG_SENT_BACK, Kind.TAG_ACCEPTED)):
            services.notify(first.apprentice, kind, f"Item {index}", f"/evidence/{index}")
        services.notify(second.apprentice, Kind.TAG_ACCEPTED, "Other", "/evidence/9")
        return first.apprentice.email, second.apprentice.email

    first, second = committed(queued_app, build)
    assert smtp.mail.received == []  # digest choices send nothing at once
    digest = jobs.PendingJob(jobs.function_name(send_digests), ())
    with queued_app.app_context():
        jobs.put_on_queue(digest)  # as `flask jobs cron` does at DIGEST_CRON
    burst(queued_app, smtp.mail.port)  # the digest job, then the emails it queued
    by_address = {r.rcpt_tos[0]: r for r in smtp.mail.received}
    assert set(by_address) == {first, second}
    mine = by_address[first]
    assert mine.message["Subject"] == "Your Showcase digest: 3 notifications"
    body = mine.body()
    # Grouped by kind, in the order the kinds first came: Items 0 and 2, then Item 1.
    order = [
        body.index(text)
        for text in ("A tag is accepted:", "Item 0", "Item 2", "A tag is sent back:", "Item 1")
    ]
    assert order == sorted(order)
    assert "http://127.0.0.1:5000/evidence/1" in body
    assert mine.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # A second run the same day (cron twice, or a retry) sends nothing more.
    with queued_app.app_context():
        jobs.put_on_queue(digest)
    burst(queued_app, smtp.mail.port)
    assert len(smtp.mail.received) == 2


def test_smtp_down_leaves_the_job_for_retry_and_it_arrives_once_back(queued_app) -> None:
    server = SMTPServer()  # not started: the mail server is down
    delivery_id, address, _ = committed(queued_app, _tag_sent_back)
    worker = flask_jobs(queued_app, server.mail.port, "worker")  # with the retry scheduler
    try:
        wait_for(lambda: _delivery(queued_app, delivery_id).attempts >= 1)
        failed = _delivery(queued_app, delivery_id)
        assert failed.sent_at is None and failed.last_error  # recorded, not lost
        with queued_app.app_context():
            wait_for(
                lambda: (
                    (
                        jobs.queue().scheduled_job_registry.count
                        + jobs.queue().count
                        + jobs.queue().started_job_registry.count
                    )
                    >= 1
                )
            )
            assert jobs.queue().failed_job_registry.count == 0  # waiting to be retried
        wait_for(lambda: _delivery(queued_app, delivery_id).attempts >= 2)  # retried: down
        server.start()  # the server is back
        wait_for(lambda: len(server.mail.received) >= 1)
        wait_for(lambda: _delivery(queued_app, delivery_id).sent_at is not None)
        time.sleep(2.5)  # time for any stray retry to (wrongly) send again
        (received,) = server.mail.received
        assert received.rcpt_tos == [address]
        assert _delivery(queued_app, delivery_id).last_error is None
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.communicate()
        server.stop()


def test_a_job_queued_when_redis_is_down_is_sent_by_the_resend_sweep(queued_app, smtp) -> None:
    original = queued_app.config["REDIS_URL"]
    queued_app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    queued_app.extensions["showcase.jobs"].redis = None
    try:
        delivery_id, address, _ = committed(queued_app, _tag_sent_back)  # commits; queueing fails
    finally:
        queued_app.config["REDIS_URL"] = original
        queued_app.extensions["showcase.jobs"].redis = None
    burst(queued_app, smtp.mail.port)
    assert smtp.mail.received == []  # the job never reached the queue…
    with queued_app.app_context():
        row = db.session.get(EmailDelivery, delivery_id)
        row.created_at = row.created_at.replace(year=row.created_at.year - 1)
        db.session.commit()
        assert jobs.run_scheduled("resend") >= 1  # …but the row did, and the sweep finds it
    burst(queued_app, smtp.mail.port)
    (received,) = smtp.mail.received
    assert received.rcpt_tos == [address]


def test_the_worker_refuses_without_a_queue(app) -> None:
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "SHOWCASE_JOBS is 'inline'" in result.output
