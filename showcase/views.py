"""Registers each domain's page blueprint, and the liveness (/healthz) and readiness (/readyz)
probes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, jsonify
from limits.storage import storage_from_string
from sqlalchemy import text

from showcase.db import get_database
from showcase.storage_ext import get_storage

log = logging.getLogger(__name__)


def init_views(app: Flask) -> None:
    from showcase.accounts.views import bp as accounts
    from showcase.admin.audit import bp as audit
    from showcase.assessment.views import bp as assessment
    from showcase.assessment.views import resubmission_possible
    from showcase.coverage.views import bp as coverage
    from showcase.dashboard.views import bp as dashboard
    from showcase.eqa.views import bp as eqa
    from showcase.evidence.views import bp as evidence
    from showcase.exports.views import bp as exports
    from showcase.home.views import bp as home
    from showcase.mail.views import bp as mail
    from showcase.marking.views import bp as marking
    from showcase.notifications.views import bp as notifications
    from showcase.portfolios.views import bp as portfolios
    from showcase.reviews.views import bp as reviews
    from showcase.standards.views import bp as standards
    from showcase.submissions.services import add_resubmission_rule
    from showcase.submissions.views import bp as submissions
    from showcase.suggest.views import bp as suggest
    from showcase.training.views import bp as training
    from showcase.witnesses.permissions import add_reader_check
    from showcase.witnesses.views import bp as witnesses

    app.register_blueprint(home)
    app.register_blueprint(accounts)
    app.register_blueprint(portfolios)
    app.register_blueprint(evidence)
    app.register_blueprint(standards)
    app.register_blueprint(submissions)
    app.register_blueprint(assessment)
    app.register_blueprint(audit)
    app.register_blueprint(coverage)
    app.register_blueprint(dashboard)
    app.register_blueprint(reviews)
    app.register_blueprint(mail)
    app.register_blueprint(notifications)
    app.register_blueprint(exports)
    app.register_blueprint(marking)
    app.register_blueprint(eqa)
    app.register_blueprint(suggest)  # template globals, and the extraction job's trigger
    app.register_blueprint(witnesses)
    app.register_blueprint(training)
    add_reader_check(_reads_through_assessment)
    add_resubmission_rule(resubmission_possible)

    @app.get("/healthz")
    def healthz() -> dict:
        """Liveness probe, and the trivial route benchmarks compare against."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> Response:
        """Readiness probe: 200 when the database, file storage and rate-limit store answer."""
        checks = {
            "database": _check(_ping_database),
            "storage": _check(_ping_storage),
            "rate_limit_store": _check(_ping_rate_limit_store),
        }
        ready = all(check["ok"] for check in checks.values())
        response = jsonify({"status": "ready" if ready else "unavailable", "checks": checks})
        response.status_code = 200 if ready else 503
        response.headers["Cache-Control"] = "no-store"
        return response


def _reads_through_assessment(user: Any, apprenticeship: Any) -> bool:
    """The assessor of one of the apprenticeship's locked showcases, or a quality assurer who
    may sample its decision, reads its witness register (wiring: showcase.witnesses sits below
    showcase.assessment, which decides who they are)."""
    from sqlalchemy import select

    from showcase import db
    from showcase.accounts.models import Role
    from showcase.assessment.models import Assessment
    from showcase.assessment.permissions import can_view_assessment
    from showcase.submissions.models import Submission

    if user.role not in (Role.ASSESSOR, Role.QUALITY_ASSURER):
        return False
    assessments = db.session.scalars(
        select(Assessment)
        .join(Submission, Assessment.submission_id == Submission.id)
        .where(Submission.apprenticeship_id == apprenticeship.id)
    )
    return any(can_view_assessment(user, a) for a in assessments)


# -- readiness checks: each answers quickly and says only which kind of failure it saw ----------
# (/readyz is public, so no host names, URLs or messages that could carry them).


def _check(probe: Callable[[], str | None]) -> dict[str, Any]:
    try:
        detail = probe()
    except Exception as error:
        log.warning("readiness check %s failed: %r", probe.__name__, error)
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True, **({"detail": detail} if detail else {})}


def _ping_database() -> None:
    # Its own connection, not the request's session: nothing to roll back, nothing left open.
    with get_database().engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _ping_storage() -> None:
    # A cheap call every backend implements (a stat locally, a HEAD on S3); the answer does
    # not matter, only that the backend answered.
    get_storage().exists("readyz/probe")


def _ping_rate_limit_store() -> str | None:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return "rate limiting is off"
    # The store the configuration names (a Redis ping, for redis://), built once per app.
    store = current_app.extensions.get("showcase.readyz_rate_limit_store")
    if store is None:
        store = storage_from_string(
            current_app.config["RATELIMIT_STORAGE_URI"],
            **current_app.config.get("RATELIMIT_STORAGE_OPTIONS", {}),
        )
        current_app.extensions["showcase.readyz_rate_limit_store"] = store
    if not store.check():
        raise ConnectionError("the rate-limit store did not answer")
    return None
