"""One handler family for every error: HTML pages for people, JSON under /api/.

Error pages never need the database: when it is down (503) the page header leaves out the
signed-in part, and for other errors the user is loaded only if that still works. An
unreachable database or rate-limit store answers 503 with Retry-After, logged once a minute
rather than once per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask, Response, g, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from limits.errors import StorageError
from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect as sa_inspect
from werkzeug.exceptions import HTTPException, InternalServerError

from showcase import db
from showcase.errors import (
    DatabaseUnavailable,
    ServiceUnavailable,
    ShowcaseError,
    SignInUnavailable,
)
from showcase.extensions import login_manager

log = logging.getLogger(__name__)

#: Said when the database cannot be reached. The request may have failed part-way (an upload
#: stored, its row not), so it must not promise that nothing was lost.
DATABASE_DOWN = (
    "Showcase cannot reach its database just now, so what you were doing may not have been "
    "saved. Wait a minute, then check and try again."
)
SIGN_IN_DOWN = (
    "Sign-in is briefly unavailable: Showcase cannot check sign-in attempts just now. "
    "Wait a minute, then try again."
)
#: How often an ongoing outage of one dependency is logged (each worker logs it once a minute).
OUTAGE_LOG_INTERVAL = 60.0

#: What to tell people for plain HTTP errors raised by Flask or werkzeug.
ADVICE = {
    400: "The request could not be understood. Go back and try again.",
    401: "Please sign in to continue.",
    403: "You do not have permission to do that. Ask your administrator if you think you should.",
    404: "There is nothing here, or it is not yours to see. Check the link, or go back home.",
    405: "That action is not available here.",
    409: "That change conflicts with the current state. Reload the page and try again.",
    413: "That is larger than Showcase accepts.",
    415: "That type of file is not accepted.",
    422: "Some of what you entered needs correcting.",
    429: "Too many attempts. Wait a minute, then try again.",
    500: (
        "Something went wrong on our side, and what you were doing may not have been saved. "
        "Check, then try again."
    ),
    503: "Showcase is briefly unavailable. Wait a minute, then try again.",
}


def wants_json() -> bool:
    """JSON for the API and for clients that prefer it; HTML otherwise."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _settle_page_user(database_down: bool) -> None:
    """Settle who the page header shows before rendering, where a failure can be caught.

    Flask-Login's context processor loads the user while the template renders, and a
    rollback has expired the loaded user's attributes: with the database down either would
    raise inside the error handler, and gunicorn would send its bare 500. So the user is
    loaded (or refreshed) here, and when that cannot be done the page is rendered as for a
    signed-out visitor.
    """
    if not database_down:
        try:
            user = current_user._get_current_object()
            if user.is_authenticated:
                if sa_inspect(user).detached:
                    # Loaded by a session that has since closed: the header's lazy reads
                    # (the organisation, for the admin links) need it in this one.
                    user = db.session.merge(user)
                    g._login_user = user
                _ = (user.name, user.role, user.organisation)  # what base.html shows
            return
        except sa_exc.SQLAlchemyError:
            _rollback()
    g._login_user = login_manager.anonymous_user()


def _rollback() -> None:
    try:
        db.session.rollback()
    except sa_exc.SQLAlchemyError:
        # Rolling back over a dead connection can fail too; the session is closed at teardown.
        log.debug("rollback failed", exc_info=True)


class _OutageLog:
    """Logs each kind of outage at most once per OUTAGE_LOG_INTERVAL, not once per request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def report(self, kind: str, error: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last < OUTAGE_LOG_INTERVAL:
                self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
                return
            self._last[kind] = now
            suppressed = self._suppressed.pop(kind, 0)
        detail = getattr(error, "orig", None) or getattr(error, "storage_error", None) or error
        log.error(
            "%s unreachable, answering 503 (%s %s): %s: %s%s",
            kind,
            request.method,
            request.path,
            type(detail).__name__,
            str(detail).strip().splitlines()[0] if str(detail).strip() else "",
            f" ({suppressed} more refused since the last report)" if suppressed else "",
        )


def is_database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached (as opposed to a bad query)."""
    if isinstance(error, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    if isinstance(error, sa_exc.DBAPIError):
        return error.connection_invalidated or isinstance(
            error, sa_exc.OperationalError | sa_exc.InterfaceError
        )
    return False


def _render_error_page(status: int, message: str, database_down: bool) -> str:
    _settle_page_user(database_down)
    return render_template("errors/error.html", status=status, message=message)


def render_error(
    status: int,
    message: str,
    code: str,
    field: str | None = None,
    *,
    database_down: bool = False,
) -> Response:
    if wants_json():
        body: dict = {"error": {"status": status, "code": code, "message": message}}
        if field:
            body["error"]["field"] = field
        response = jsonify(body)
    else:
        response = Response(
            _render_error_page(status, message, database_down),
            mimetype="text/html",
        )
    response.status_code = status
    return response


def _answering_what_it_wraps(
    database_error: Callable[[sa_exc.SQLAlchemyError], Response],
    otherwise: Callable[[HTTPException], Response],
) -> Callable[[InternalServerError], Response]:
    """A handler for Flask's last resort, which wraps in a 500 an exception raised after the
    view: the request's commit (``db.end_request_transaction``) runs in an after_request hook.
    A database lost at that commit is answered as from the view: 503 with Retry-After."""

    def _server_error(error: InternalServerError) -> Response:
        original = error.original_exception
        if isinstance(original, sa_exc.DBAPIError | sa_exc.TimeoutError):
            return database_error(original)
        return otherwise(error)

    return _server_error


def init_error_handlers(app: Flask) -> None:
    outages = _OutageLog()

    @app.errorhandler(ShowcaseError)
    def _domain_error(error: ShowcaseError) -> Response:
        _rollback()
        response = render_error(
            error.status_code,
            error.message,
            error.code,
            error.field,
            database_down=isinstance(error, DatabaseUnavailable),
        )
        if isinstance(error, ServiceUnavailable):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(sa_exc.DBAPIError)
    @app.errorhandler(sa_exc.TimeoutError)
    def _database_error(error: sa_exc.SQLAlchemyError) -> Response:
        if not is_database_unavailable(error):
            return _unexpected(error)
        outages.report("Database", error)
        return _domain_error(DatabaseUnavailable(DATABASE_DOWN))

    @app.errorhandler(StorageError)
    def _rate_limit_store_error(error: StorageError) -> Response:
        # Failing closed is right (no unlimited password guessing while the store is down),
        # but it is an outage to wait out, not a bug: 503 with Retry-After.
        outages.report("Rate-limit store", error)
        return _domain_error(SignInUnavailable(SIGN_IN_DOWN))

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> Response:
        return render_error(
            400,
            "This form has expired or was sent from another site. Reload the page and try again.",
            "csrf_failed",
        )

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        message = ADVICE.get(status, error.description or "Request failed.")
        if status == 429:
            message = f"Too many attempts ({error.description}). Wait a minute, then try again."
        response = render_error(status, message, error.name.lower().replace(" ", "_"))
        if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("Unhandled error on %s %s", request.method, request.path)
        _rollback()
        return render_error(500, ADVICE[500], "internal_error")

    app.register_error_handler(
        InternalServerError, _answering_what_it_wraps(_database_error, _http_error)
    )
