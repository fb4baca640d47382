"""One handler family for every error: HTML pages for people, JSON under /api/."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from showcase import db
from showcase.errors import ShowcaseError

log = logging.getLogger(__name__)

#: What to tell people for plain HTTP errors raised by Flask or werkzeug.
ADVICE = {
    400: "The request could not be understood. Go back and try again.",
    401: "Please sign in to continue.",
    403: "You do not have permission to do that. Ask your administrator if you think you should.",
    404: "There is nothing here, or it is not yours to see. Check the link, or go back home.",
    405: "That action is not available here.",
    409: "That change conflicts with the current state. Reload the page and try again.",
    413: "That upload is larger than Showcase accepts.",
    415: "That type of file is not accepted.",
    422: "Some of what you entered needs correcting.",
    429: "Too many attempts. Wait a minute, then try again.",
    500: "Something went wrong on our side. Nothing you entered was lost; please try again.",
}


def wants_json() -> bool:
    """JSON for the API and for clients that prefer it; HTML otherwise."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def render_error(status: int, message: str, code: str, field: str | None = None) -> Response:
    if wants_json():
        body: dict = {"error": {"status": status, "code": code, "message": message}}
        if field:
            body["error"]["field"] = field
        response = jsonify(body)
    else:
        response = Response(
            render_template("errors/error.html", status=status, message=message),
            mimetype="text/html",
        )
    response.status_code = status
    return response


def init_error_handlers(app: Flask) -> None:
    @app.errorhandler(ShowcaseError)
    def _domain_error(error: ShowcaseError) -> Response:
        db.session.rollback()
        return render_error(error.status_code, error.message, error.code, error.field)

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
        db.session.rollback()
        return render_error(500, ADVICE[500], "internal_error")
