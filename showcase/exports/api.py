"""Exports in the JSON API: the same archives, services and checks as the pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Response
from flask_login import current_user

from showcase.api import bp, responses, spec
from showcase.exports import services
from showcase.exports.views import commit_export_audit, zip_response
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.storage_ext import get_storage
from showcase.submissions.loaders import get_submission_or_404


def documented(**declared: Any) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Declare a streamed route in the OpenAPI document without spectree running it.

    ``spec.validate`` reads the whole response body to validate it (``get_data()``), which
    would hold the archive in memory. spectree finds a route's declaration by following
    ``__wrapped__`` (as it does through other decorators), so the route keeps its statuses in
    the document while the request goes straight to the view.
    """

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        declaration = spec.validate(**declared)(view)

        @functools.wraps(view)
        def streamed(*args: Any, **kwargs: Any) -> Response:
            return view(*args, **kwargs)

        streamed.__wrapped__ = declaration
        return streamed

    return decorate


@bp.get("/submissions/<int:submission_id>/export.zip")
@documented(resp=responses(403, 409, 503, HTTP_200=None), tags=["exports"])
def export_submission(submission_id: int) -> Response:
    """A locked showcase version as a verifiable ZIP (409 for a draft).

    200: application/zip, streamed while it is built, with Content-Length and
    Content-Disposition: attachment; X-Showcase-Fingerprint is the SHA-256 of its manifest.json,
    the showcase's fingerprint. Audited as export.submission.
    """
    submission = get_submission_or_404(current_user, submission_id)
    storage = get_storage()
    export = services.export_submission(current_user, submission, storage)
    commit_export_audit()
    return zip_response(export, storage)


@bp.get("/apprenticeships/<int:apprenticeship_id>/export.zip")
@documented(resp=responses(403, 503, HTTP_200=None), tags=["exports"])
def export_portfolio(apprenticeship_id: int) -> Response:
    """Everything held about the apprentice as a verifiable ZIP (a subject-access export).

    Only the apprentice or a platform administrator (403 for other parties). 200:
    application/zip, streamed while it is built, with Content-Length and Content-Disposition:
    attachment; X-Showcase-Fingerprint is the SHA-256 of its manifest.json. Audited as
    export.portfolio.
    """
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id, parties=True)
    storage = get_storage()
    export = services.export_portfolio(current_user, apprenticeship, storage)
    commit_export_audit()
    return zip_response(export, storage)
