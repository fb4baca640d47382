"""Registers each domain's page blueprint."""

from __future__ import annotations

from flask import Flask


def init_views(app: Flask) -> None:
    from showcase.accounts.views import bp as accounts
    from showcase.assessment.views import bp as assessment
    from showcase.audit.views import bp as audit
    from showcase.coverage.views import bp as coverage
    from showcase.evidence.resumable import bp as uploads
    from showcase.evidence.views import bp as evidence
    from showcase.portfolios.views import bp as portfolios
    from showcase.reviews.views import bp as reviews
    from showcase.standards.views import bp as standards
    from showcase.submissions.views import bp as submissions

    app.register_blueprint(accounts)
    app.register_blueprint(portfolios)
    app.register_blueprint(evidence)
    app.register_blueprint(uploads)
    app.register_blueprint(standards)
    app.register_blueprint(submissions)
    app.register_blueprint(assessment)
    app.register_blueprint(audit)
    app.register_blueprint(coverage)
    app.register_blueprint(reviews)

    @app.get("/healthz")
    def healthz() -> dict:
        """Liveness probe, and the trivial route benchmarks compare against."""
        return {"status": "ok"}
