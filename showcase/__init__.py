"""Showcase: apprenticeship e-portfolio and end-point-assessment evidence tracker."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from config import CONFIGS, ROOT, Config


class ConfigurationError(RuntimeError):
    """The app cannot start with this configuration."""


def create_app(config: type[Config] | str | None = None, **overrides: Any) -> Flask:
    """Build the Flask app: configuration first, then one init_* call per concern."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    load_config(app, config, overrides)

    from showcase.accounts.login import init_login
    from showcase.api import init_api
    from showcase.cli import init_cli
    from showcase.db import init_db
    from showcase.errorhandlers import init_error_handlers
    from showcase.extensions import csrf, limiter
    from showcase.inputs import init_inputs
    from showcase.jobs import init_jobs
    from showcase.mail import init_mail
    from showcase.notifications import init_notifications
    from showcase.security import init_security_headers
    from showcase.storage_ext import init_storage
    from showcase.views import init_views

    init_inputs(app)  # first: routes bind its converters, CSRF's hook reads the capped form
    init_db(app)
    init_jobs(app)  # after init_db: starts each session's jobs after its commit
    init_mail(app)
    init_notifications(app)
    init_storage(app)
    csrf.init_app(app)
    limiter.init_app(app)
    init_login(app)
    init_security_headers(app)
    init_error_handlers(app)
    init_views(app)
    init_api(app)
    init_cli(app)
    return app


def load_config(app: Flask, config: type[Config] | str | None, overrides: dict[str, Any]) -> None:
    """Apply the config class, then SHOWCASE_* environment variables, then ``overrides``."""
    if config is None or isinstance(config, str):
        name = config or os.environ.get("SHOWCASE_ENV", "development")
        if name not in CONFIGS:
            raise ConfigurationError(
                f"SHOWCASE_ENV={name!r} is not one of {', '.join(sorted(CONFIGS))}."
            )
        config = CONFIGS[name]
    app.config.from_object(config)
    app.config.from_prefixed_env("SHOWCASE")
    app.config.update(overrides)
    missing = [key for key in getattr(config, "REQUIRED", ()) if not app.config.get(key)]
    if missing:
        raise ConfigurationError(
            "Production needs "
            + " and ".join(f"SHOWCASE_{key}" for key in missing)
            + " to be set; refusing to start."
        )
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        os.makedirs(os.path.dirname(app.config["DATABASE_URL"][len("sqlite:///") :]), exist_ok=True)
