"""The JSON API under /api/v1: personal access tokens only, the same services as the pages.

spectree generates the OpenAPI 3.1 document from the pydantic models on each route, so the
document cannot drift from the code. The API takes no cookies, so it needs no CSRF token.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, g, jsonify, request
from spectree import SecurityScheme, SpecTree
from spectree.models import SecuritySchemeData

from showcase.errors import ShowcaseError, ValidationFailed


class Unauthorised(ShowcaseError):
    status_code = 401
    code = "unauthorised"


def _before(req: Any, resp: Any, error: Exception | None, instance: Any, *args: Any) -> None:
    # Turn spectree's validation error into Showcase's one JSON error shape.
    if error is not None:
        problems = []
        for item in getattr(error, "errors", lambda: [])():
            where = ".".join(str(p) for p in item.get("loc", ()))
            problems.append(f"{where}: {item.get('msg')}" if where else item.get("msg"))
        raise ValidationFailed("; ".join(problems) or "The request body is not valid.")


spec = SpecTree(
    "flask",
    title="Showcase API",
    version="1",
    path="api/spec",
    mode="strict",
    page_templates={},
    before=_before,
    security_schemes=[
        SecurityScheme(
            name="bearer",
            data=SecuritySchemeData(
                type="http",
                scheme="bearer",
                description="A personal access token from Account → API tokens.",
            ),
        )
    ],
    security={"bearer": []},
    annotations=False,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = {"api.openapi"}


@bp.before_request
def _authenticate() -> None:
    from showcase.accounts.login import user_from_bearer

    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    user = user_from_bearer(request)
    if user is None:
        raise Unauthorised(
            "Send a personal access token as 'Authorization: Bearer <token>'. "
            "Create one under Account → API tokens."
        )
    # Flask-Login reads the current user from g; the token user never gets a session cookie.
    g._login_user = user


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document of this API."""
    return jsonify(spec.spec)


def init_api(app: Flask) -> None:
    # Importing the domain modules adds their routes to ``bp``.
    from showcase.accounts import api as _accounts_api  # noqa: F401
    from showcase.assessment import api as _assessment_api  # noqa: F401
    from showcase.coverage import api as _coverage_api  # noqa: F401
    from showcase.evidence import api as _evidence_api  # noqa: F401
    from showcase.extensions import csrf
    from showcase.portfolios import api as _portfolios_api  # noqa: F401
    from showcase.reviews import api as _reviews_api  # noqa: F401
    from showcase.standards import api as _standards_api  # noqa: F401
    from showcase.submissions import api as _submissions_api  # noqa: F401

    csrf.exempt(bp)
    app.register_blueprint(bp)
    spec.register(app)
