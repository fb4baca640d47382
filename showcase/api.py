"""The JSON API under /api/v1: personal access tokens only, the same services as the pages.

spectree generates the OpenAPI 3.1 document from the pydantic models on each route, so the
document cannot drift from the code. The API takes no cookies, so it needs no CSRF token.
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Annotated, Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from pydantic import BaseModel, Field
from spectree import Response as Responses
from spectree import SecurityScheme, SpecTree
from spectree.models import SecuritySchemeData
from sqlalchemy.orm import InstrumentedAttribute

from showcase.errors import ShowcaseError, ValidationFailed
from showcase.inputs import UPLOAD_ENDPOINTS, read_json_body


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


# -- what every API input may hold ----------------------------------------------------------

#: The largest value of the database's integer columns (PostgreSQL's ``integer``). A larger id
#: or count in a body or query is refused (422) here, before it reaches the database driver.
MAX_INT = 2_147_483_647

#: Every id in a JSON body or query string.
Id = Annotated[int, Field(ge=1, le=MAX_INT)]

#: Every other whole number stored in an integer column (minutes, counts).
Count = Annotated[int, Field(ge=0, le=MAX_INT)]

#: Text may hold any character but NUL, which PostgreSQL cannot store in text or JSON.
NO_NUL = r"^[^\x00]*$"


def column_length(attribute: InstrumentedAttribute[Any]) -> int:
    """The declared length of a ``String(n)`` column, so API limits follow the model."""
    length = attribute.property.columns[0].type.length
    assert length is not None, f"{attribute} has no length"
    return length


def text(max_length: int | InstrumentedAttribute[Any] | None = None, **constraints: Any) -> Any:
    """A text field without NUL, at most ``max_length`` characters (a number or a column)."""
    if isinstance(max_length, InstrumentedAttribute):
        max_length = column_length(max_length)
    return Annotated[str, Field(max_length=max_length, pattern=NO_NUL, **constraints)]


#: Text with no limit of its own (stored in a Text or JSON column).
Text = text()


def validated_body() -> Any:
    """The request's JSON body as spectree validated it: an instance of the route's ``json=``
    model (annotate it where it is read: ``body: TagIn = validated_body()``)."""
    return request.context.json  # type: ignore[attr-defined]


# -- the error shape and the statuses each operation declares --------------------------------


class ErrorDetail(BaseModel):
    status: int
    #: Short machine-readable name: validation_failed, not_found, submission_locked…
    code: str
    #: What was wrong and what to do, for people.
    message: str
    #: The input the error is about, when it is about one.
    field: str | None = None


class ErrorOut(BaseModel):
    """Every error the API answers, whatever its status (see showcase.errorhandlers)."""

    error: ErrorDetail


ERROR_DESCRIPTIONS = {
    400: "The request could not be read (malformed JSON, or a body that ended early).",
    401: "No valid personal access token.",
    403: "The caller may see this but not do this.",
    404: "No such thing, or it is not the caller's to see.",
    409: "The change conflicts with the current state (locked, signed, already done).",
    413: "The request body or file is larger than accepted.",
    415: "The body's media type or the file's type is not accepted.",
    422: "A field is missing or not valid: error.field names it, error.message says why.",
    503: "File storage (or the virus scanner) is unavailable; nothing was changed.",
}

#: Statuses the request checks (showcase.inputs and ``_read_json`` below) can answer on any
#: operation, even a GET: a body that does not parse (400), is too large (413) or is not JSON
#: (415), a NUL in a query parameter or a body or query that fails its model (422).
REQUEST_STATUSES = (400, 413, 415, 422)


class _Responses(Responses):
    """A spectree Response whose error statuses are exactly the ones declared."""

    def add_model(self, code: int, model: Any, replace: bool = True, **kwargs: Any) -> None:
        # spectree adds its validation-error status to every operation (``replace=False``);
        # ``document()`` declares 422 only where a body or query is validated.
        if replace:
            super().add_model(code, model, replace, **kwargs)


def responses(*errors: int, **success: Any) -> Responses:
    """The statuses of one operation: ``success`` as for spectree (``HTTP_200=Model``) and the
    error statuses its own checks answer (403, 409…). 401, 404 for a path with parameters, and
    the request checks' statuses are added to every operation by ``document()``."""
    declared = _Responses(**success)
    for status in errors:
        declared.add_model(status, ErrorOut, description=ERROR_DESCRIPTIONS[status])
    return declared


spec = SpecTree(
    "flask",
    title="Showcase API",
    version="1",
    path="api/spec",
    mode="strict",
    page_templates={},
    before=_before,
    validation_error_model=ErrorOut,
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


@bp.before_request
def _parse_json_body() -> None:
    """Parse a write's JSON body strictly before spectree does: 415 if it is not declared JSON,
    400 if it does not parse. spectree reads it with ``silent=True``, which would otherwise
    turn a malformed body into ``{}`` and answer 200 with nothing changed."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    if request.endpoint in UPLOAD_ENDPOINTS or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    metadata = spec.get_function_metadata(view) if view is not None else None
    read_json_body(required=metadata is not None and metadata.json is not None)


#: Operations whose raw bodies or binary answers spectree cannot describe: their own statuses,
#: declared here beside the ones ``document()`` adds to every operation.
RAW_OPERATIONS: dict[tuple[str, str], tuple[int, ...]] = {
    ("post", "/api/v1/apprenticeships/{apprenticeship_id}/evidence"): (400, 403, 413, 415, 503),
    ("post", "/api/v1/apprenticeships/{apprenticeship_id}/uploads"): (400, 403, 413, 415),
    ("get", "/api/v1/uploads/{upload_id}"): (403,),
    ("patch", "/api/v1/uploads/{upload_id}"): (400, 403, 409, 413, 415, 503),
}

#: GET /evidence/{evidence_id}/file, written by hand: spectree cannot describe a streamed file.
FILE_PATH = "/api/v1/evidence/{evidence_id}/file"
FILE_STATUSES = (401, 404, *REQUEST_STATUSES, 503)
FILE_OPERATION = {
    "summary": "The evidence file: streamed with Range support, or a 302 to a short-lived "
    "presigned URL.",
    "description": "Not validated by spectree (it would read the whole file into memory).",
    "operationId": "get__api_v1_evidence_{evidence_id}_file",
    "tags": ["evidence"],
    "parameters": [
        {"name": "evidence_id", "in": "path", "required": True, "schema": {"type": "integer"}},
        {
            "name": "inline",
            "in": "query",
            "required": False,
            "description": "1: show in the browser when the type allows it",
            "schema": {"type": "string"},
        },
        {
            "name": "Range",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
        },
    ],
    "responses": {
        # The file's own media type (sniffed at upload), served as a download by default.
        "200": {"description": "The whole file.", "content": {"*/*": {"schema": {}}}},
        "206": {"description": "The requested byte range.", "content": {"*/*": {"schema": {}}}},
        "302": {"description": "A short-lived presigned URL of the file (S3 storage)."},
        "416": {"description": "The range lies outside the file."},
    },
}


@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI document: spectree's, with every status each operation can answer."""
    doc = copy.deepcopy(spec.spec)
    error_schema = spec.naming_strategy(ErrorOut)
    assert error_schema in doc["components"]["schemas"], "no route declares ErrorOut"

    def error(status: int) -> dict[str, Any]:
        return {
            "description": ERROR_DESCRIPTIONS[status],
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{error_schema}"}}
            },
        }

    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            statuses = {401, *REQUEST_STATUSES}
            if re.search(r"\{\w+\}", path):
                statuses.add(404)  # the loaders: no such thing, or not the caller's
            statuses.update(RAW_OPERATIONS.get((method, path), ()))
            answers.update({str(status): error(status) for status in statuses})
            operation["responses"] = dict(sorted(answers.items()))
    file_operation = copy.deepcopy(FILE_OPERATION)
    file_operation["responses"].update({str(s): error(s) for s in FILE_STATUSES})
    file_operation["responses"] = dict(sorted(file_operation["responses"].items()))
    doc["paths"].setdefault(FILE_PATH, {})["get"] = file_operation
    return doc


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document of this API."""
    return jsonify(document())


def init_api(app: Flask) -> None:
    # Importing the domain modules adds their routes to ``bp``.
    from showcase.accounts import api as _accounts_api  # noqa: F401
    from showcase.assessment import api as _assessment_api  # noqa: F401
    from showcase.coverage import api as _coverage_api  # noqa: F401
    from showcase.dashboard import api as _dashboard_api  # noqa: F401
    from showcase.evidence import api as _evidence_api  # noqa: F401
    from showcase.exports import api as _exports_api  # noqa: F401
    from showcase.extensions import csrf
    from showcase.home import api as _home_api  # noqa: F401
    from showcase.marking import api as _marking_api  # noqa: F401
    from showcase.portfolios import api as _portfolios_api  # noqa: F401
    from showcase.reviews import api as _reviews_api  # noqa: F401
    from showcase.standards import api as _standards_api  # noqa: F401
    from showcase.submissions import api as _submissions_api  # noqa: F401
    from showcase.suggest import api as _suggest_api  # noqa: F401
    from showcase.training import api as _training_api  # noqa: F401
    from showcase.witnesses import api as _witnesses_api  # noqa: F401

    csrf.exempt(bp)
    app.register_blueprint(bp)
    spec.register(app)
