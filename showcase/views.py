"""Registers each domain's page blueprint."""

from __future__ import annotations

from flask import Flask


def init_views(app: Flask) -> None:
    from showcase.accounts.views import bp as accounts
    from showcase.evidence.views import bp as evidence
    from showcase.portfolios.views import bp as portfolios
    from showcase.standards.views import bp as standards

    app.register_blueprint(accounts)
    app.register_blueprint(portfolios)
    app.register_blueprint(evidence)
    app.register_blueprint(standards)

    @app.get("/healthz")
    def healthz() -> dict:
        """Liveness probe, and the trivial route benchmarks compare against."""
        return {"status": "ok"}
