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
    #: Deleted evidence can be restored by its apprentice for this many days; then the daily
    #: purge (`flask storage purge`, the "purge" scheduled job) removes its file.
    DELETED_EVIDENCE_RETENTION_DAYS = 30
    #: Part size of resumable uploads (at least 5 MiB, S3's minimum for all but the last part).
    RESUMABLE_PART_BYTES = 8 * 1024**2
    #: The upload page sends files larger than this in resumable parts, smaller ones in one go.
    RESUMABLE_THRESHOLD_BYTES = 32 * 1024**2
    #: With S3 storage, large uploads from the page go straight to S3 (presigned part URLs)
    #: and are checked by a job before they become evidence; False keeps them passing through.
    DIRECT_UPLOADS = True
    #: Flask-Limiter store; memory:// is per process, so production uses Redis.
    RATELIMIT_STORAGE_URI = "memory://"
    #: Store errors raise limits' StorageError (answered 503: sign-in fails closed); a store
    #: that does not answer within 2 s counts as down rather than holding the worker.
    RATELIMIT_STORAGE_OPTIONS = {
        "wrap_exceptions": True,
        "socket_connect_timeout": 2,
        "socket_timeout": 2,
    }
    SIGN_IN_RATE_LIMIT = "10 per minute"
    #: A moving window counts the last minute at any moment; a fixed one starts afresh on each
    #: minute, so twice the limit could pass either side of the boundary.
    RATELIMIT_STRATEGY = "moving-window"
    #: Largest request body on every route that is not a file upload (1 MiB); larger → 413.
    MAX_BODY_BYTES = 1024 * 1024
    #: Invitation links expire after this many hours.
    INVITATION_TTL_HOURS = 72
    #: Links asking a witness for a statement expire after this many days.
    WITNESS_LINK_DAYS = 14
    #: Requests to the witness pages (open, sign, decline) per client address.
    WITNESS_RATE_LIMIT = "30 per minute"
    #: Time zone progress-review meetings are entered and shown in.
    REVIEW_TIMEZONE = "Europe/London"
    #: Optional folder of training providers' review templates (provider-<id>.yaml), looked in
    #: before the ones beside the default template.
    REVIEW_SECTIONS_DIR: str | None = None
    #: Virus scanning of every upload before it is stored: "clamd" or "off". The embedded
    #: default runs without it (the upload page then says files are not scanned).
    AV = "off"
    #: clamd's unix socket (Debian's clamav-daemon default).
    CLAMD_SOCKET = "/run/clamav/clamd.ctl"
    #: clamd over TCP as "host:port"; used instead of CLAMD_SOCKET when set.
    CLAMD_ADDRESS: str | None = None
    #: Seconds clamd may take for each socket operation, including the verdict on a whole file.
    CLAMD_TIMEOUT = 120

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = 14 * 24 * 3600
    SESSION_PROTECTION = "strong"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session that holds it

    #: Absolute base URL of every link Showcase emails or shows (never the request's Host).
    BASE_URL = "http://127.0.0.1:5000"
    #: Password reset links expire after this many hours.
    PASSWORD_RESET_TTL_HOURS = 2
    #: "Forgot your password?" requests per client address.
    FORGOT_PASSWORD_RATE_LIMIT = "5 per hour"  # noqa: S105 — a rate, not a password
    #: Personal API tokens stop working this many days after they were created.
    API_TOKEN_TTL_DAYS = 90
    #: "outbox" keeps messages in the database (read them at /admin/outbox), "smtp" sends them.
    MAIL_BACKEND = "outbox"
    SMTP_HOST = "localhost"
    #: 587 is mail submission with STARTTLS.
    SMTP_PORT = 587
    SMTP_STARTTLS = True
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_FROM = "Showcase <no-reply@localhost>"
    #: Seconds to wait for the SMTP server at each step.
    SMTP_TIMEOUT = 15
    #: Signs the audit chain's checkpoints (HMAC-SHA256). Kept outside the database, so someone
    #: who can rewrite the database cannot forge a checkpoint. Required in production; elsewhere
    #: a development key is derived from SECRET_KEY and labelled "dev-" in every checkpoint.
    AUDIT_CHECKPOINT_KEY: str | None = None
    #: Background jobs (emails, digests, reminders): "inline" runs each one in-process right
    #: after the commit that asked for it (the embedded default: no extra server), "rq" puts
    #: it on a Redis queue for `flask jobs worker` processes on any host.
    JOBS = "inline"
    #: Redis of the "rq" job queue (a separate db number from the rate-limit store is tidy).
    REDIS_URL = "redis://127.0.0.1:6379/0"
    #: Name of the RQ queue Showcase uses.
    JOBS_QUEUE = "showcase"
    #: Seconds between the attempts of a failed job (RQ Retry: one retry per entry).
    JOBS_RETRY_INTERVALS = [30, 120, 600, 1800, 7200]
    #: When the daily digest and the review reminders run (cron syntax, UTC), and how often
    #: emails still unsent (their jobs lost or out of retries) are queued again.
    DIGEST_CRON = "0 7 * * *"
    REMINDERS_CRON = "0 6 * * *"
    RESEND_CRON = "*/15 * * * *"
    #: When the files of evidence deleted longer than the retention period are purged (daily).
    PURGE_CRON = "30 3 * * *"
    #: When the gateway forecast's stored day counts get the day just closed (daily, after
    #: midnight UTC; the dashboard computes from the tags any count not stored yet).
    COVERAGE_DAYS_CRON = "20 0 * * *"
    #: The quality assurer's sampling plan: this share of each assessment organisation's graded
    #: decisions, chosen by a hash of the assessment's id (the same choice every time), plus
    #: every assessor's first decision and every fail, always.
    QA_SAMPLE_SHARE = 0.25
    #: Days from a showcase's lock within which its assessor is expected to grade it. The
    #: bundled assessment plans state no period, so the assessor's list shows this one.
    EPA_WINDOW_DAYS = 90
    #: Suggested units (showcase.suggest): "auto" ranks with "combined" when the optional
    #: semantic extra is installed and "lexical" otherwise; or name one ranker.
    SUGGEST_RANKER = "auto"
    #: Limits on reading an evidence file's text: bytes of the file, pages, characters kept,
    #: seconds (the extraction job records a stop as its status and never fails the upload).
    SUGGEST_EXTRACT_MAX_BYTES = 20 * 1024 * 1024
    SUGGEST_EXTRACT_MAX_PAGES = 50
    SUGGEST_EXTRACT_MAX_CHARS = 100_000
    SUGGEST_EXTRACT_SECONDS = 20


class DevelopmentConfig(Config):
    # A fixed development key is fine for the embedded demo on 127.0.0.1 only.
    SECRET_KEY = "dev-only-not-secret"  # noqa: S105


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-only"  # noqa: S105
    DATABASE_URL = "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    #: Lexical only, so pages load no model; the suggestion tests choose their ranker.
    SUGGEST_RANKER = "lexical"


class ProductionConfig(Config):
    SECRET_KEY = None
    DATABASE_URL = None
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"
    #: Production scans every upload unless SHOWCASE_AV=off says otherwise. The app starts
    #: whether or not clamd answers (it may still be loading signatures); uploads answer 503
    #: and store nothing until it does.
    AV = "clamd"

    #: Settings without which production refuses to start.
    REQUIRED = ("SECRET_KEY", "DATABASE_URL", "AUDIT_CHECKPOINT_KEY")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
