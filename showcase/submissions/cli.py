"""`flask submissions verify [ID]`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from showcase import db
from showcase.storage_ext import get_storage
from showcase.submissions.models import Submission, SubmissionStatus
from showcase.submissions.services import get_submission, verify

submissions_cli = AppGroup("submissions", help="Locked showcase submissions.")


@submissions_cli.command("verify")
@click.argument("submission_id", type=int, required=False)
def verify_command(submission_id: int | None) -> None:
    """Re-hash every frozen file of one submission (or of all locked ones)."""
    if submission_id is not None:
        submissions = [get_submission(submission_id)]
    else:
        submissions = db.session.scalars(
            select(Submission)
            .where(Submission.status == SubmissionStatus.LOCKED)
            .order_by(Submission.id)
        ).all()
    failed = 0
    for submission in submissions:
        result = verify(submission, get_storage())
        name = f"submission {submission.id} (v{submission.version})"
        if result.ok:
            click.echo(f"✓ {name}: {result.checked} files match {submission.manifest_sha256}")
        else:
            failed += 1
            click.echo(f"✗ {name}:")
            for evidence_id, problem in result.problems:
                click.echo(f"    evidence {evidence_id}: {problem}")
    if failed:
        sys.exit(1)
