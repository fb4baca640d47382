"""Response headers every page gets. User files get a stricter policy where they are served."""

from __future__ import annotations

from flask import Flask, Response

# Everything is served by the app itself: no CDN, no inline script.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


def page_csp(*, connect_to: str) -> str:
    """The page policy, also allowing the page's script to send requests to ``connect_to`` (an
    origin: the S3 endpoint a direct upload sends its parts to)."""
    return f"{PAGE_CSP}; connect-src 'self' {connect_to}"


def init_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
