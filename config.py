"""Configuration classes. Every setting can be overridden by a ``SHOWCASE_<NAME>`` variable.

``SHOWCASE_ENV`` picks the class: ``development`` (the embedded default: SQLite and files under
``uploads/``), ``production`` (refuses to start without a secret key and a database URL) or
``testing``. Values of ``SHOWCASE_*`` variables are parsed as JSON when they can be
(``SHOWCASE_MAX_UPLOAD_BYTES=1048576`` is an int), as Flask's ``from_prefixed_env`` does.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent


class Config:
    #: Signs session cookies and CSRF tokens. Must be the same on every host.
    SECRET_KEY: str | None = None
    #: SQLAlchemy URL. SQLite for one host, PostgreSQL (postgresql+psycopg://…) at scale.
    DATABASE_URL: str | None = f"sqlite:///{ROOT / 'instance' / 'showcase.sqlite'}"
    #: "local" (files under UPLOAD_ROOT) or "s3".
    STORAGE_BACKEND = "local"
    UPLOAD_ROOT = str(ROOT / "uploads")
    S3_BUCKET: str | None = None
    S3_PREFIX = ""
    S3_ENDPOINT_URL: str | None = None
    S3_REGION = "eu-west-2"
    S3_ACCESS_KEY_ID: str | None = None
    S3_SECRET_ACCESS_KEY: str | None = None
    #: Largest evidence file accepted, in bytes (2 GiB: an hour of phone video).
    MAX_UPLOAD_BYTES = 2 * 1024**3
    #: Partial (resumable) uploads untouched for this long are removed by `flask storage cleanup`.
    PARTIAL_UPLOAD_MAX_AGE_HOURS = 48
    #: Part size of resumable uploads (at least 5 MiB, S3's minimum for all but the last part).
    RESUMABLE_PART_BYTES = 8 * 1024**2
    #: The upload page sends files larger than this in resumable parts, smaller ones in one go.
    RESUMABLE_THRESHOLD_BYTES = 32 * 1024**2
    #: Flask-Limiter store; memory:// is per process, so production uses Redis.
    RATELIMIT_STORAGE_URI = "memory://"
    SIGN_IN_RATE_LIMIT = "10 per minute"
    #: Invitation links expire after this many hours.
    INVITATION_TTL_HOURS = 72

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = 14 * 24 * 3600
    SESSION_PROTECTION = "strong"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session that holds it

    #: Absolute base URL used in invitation links printed by the CLI.
    BASE_URL = "http://127.0.0.1:5000"


class DevelopmentConfig(Config):
    # A fixed development key is fine for the embedded demo on 127.0.0.1 only.
    SECRET_KEY = "dev-only-not-secret"  # noqa: S105


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-only"  # noqa: S105
    DATABASE_URL = "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False


class ProductionConfig(Config):
    SECRET_KEY = None
    DATABASE_URL = None
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"

    #: Settings without which production refuses to start.
    REQUIRED = ("SECRET_KEY", "DATABASE_URL")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
