"""Export pages: a locked showcase, or a subject-access export, streamed as a ZIP."""

from __future__ import annotations

from flask import Blueprint, Response
from flask_login import current_user, login_required

from showcase import db
from showcase.accounts.models import User
from showcase.exports import services
from showcase.exports.permissions import can_export_portfolio, can_export_submission
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.portfolios.models import Apprenticeship
from showcase.storage import Storage, content_disposition
from showcase.storage_ext import get_storage
from showcase.submissions.loaders import get_submission_or_404
from showcase.submissions.models import Submission

bp = Blueprint("exports", __name__)


def zip_response(export: services.Export, storage: Storage) -> Response:
    """Stream the archive while it is built. Shared with the API (showcase.exports.api).

    The export's audit entry must already be committed: nothing after this touches the
    database, and the body is generated after the request's transaction has ended.
    """
    archive = export.stream(storage)
    headers = {
        "Content-Type": "application/zip",
        "Content-Disposition": content_disposition(export.filename, inline=False),
        # Exact, because the archive is stored without compression (zipstream-ng's sized
        # mode): the browser shows the download's progress and a client can tell a
        # truncated download from a whole one.
        "Content-Length": str(len(archive)),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        # The SHA-256 of the archive's manifest.json (for a showcase, its fingerprint).
        "X-Showcase-Fingerprint": export.fingerprint,
    }
    return Response(iter(archive), headers=headers, direct_passthrough=True)


def commit_export_audit() -> None:
    """A GET's transaction is rolled back when the request ends (showcase.db): the export's
    audit entry is the one thing a read writes, so it is committed here, before the first
    byte is sent — an export that is not recorded must not happen."""
    db.session.commit()


@bp.get("/submissions/<int:submission_id>/export.zip")
@login_required
def submission_zip(submission_id: int) -> Response:
    submission = get_submission_or_404(current_user, submission_id)
    storage = get_storage()
    export = services.export_submission(current_user, submission, storage)
    commit_export_audit()
    return zip_response(export, storage)


@bp.get("/apprenticeships/<int:apprenticeship_id>/export.zip")
@login_required
def portfolio_zip(apprenticeship_id: int) -> Response:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id, parties=True)
    storage = get_storage()
    export = services.export_portfolio(current_user, apprenticeship, storage)
    commit_export_audit()
    return zip_response(export, storage)


@bp.app_template_global()
def may_export_submission(submission: Submission) -> bool:
    """For the showcase page's Export link."""
    user: User = current_user
    return user.is_authenticated and can_export_submission(user, submission)


@bp.app_template_global()
def may_export_portfolio(apprenticeship: Apprenticeship) -> bool:
    """For the apprenticeship page's subject-access export link."""
    user: User = current_user
    return user.is_authenticated and can_export_portfolio(user, apprenticeship)
