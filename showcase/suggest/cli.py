"""``flask suggest extract``: read the text of items uploaded before extraction existed (or
whose job was lost), a bounded number per run."""

from __future__ import annotations

import click
from sqlalchemy import select

from showcase import db
from showcase.evidence.models import Evidence, StoredFile
from showcase.suggest.jobs import extract_evidence_text
from showcase.suggest.models import EvidenceText


def register(group: click.Group) -> None:
    @group.command("extract")
    @click.option("--limit", default=500, show_default=True, help="items to read in this run")
    def extract(limit: int) -> None:
        """Read the text of evidence files that have none recorded yet."""
        ids = list(
            db.session.scalars(
                select(Evidence.id)
                .join(StoredFile, StoredFile.id == Evidence.file_id)
                .outerjoin(EvidenceText, EvidenceText.evidence_id == Evidence.id)
                .where(
                    Evidence.deleted_at.is_(None),
                    (EvidenceText.evidence_id.is_(None))
                    | (EvidenceText.file_sha256 != StoredFile.sha256),
                )
                .order_by(Evidence.id)
                .limit(limit)
            )
        )
        for evidence_id in ids:
            status = extract_evidence_text(evidence_id)
            db.session.commit()  # one item at a time: a later failure keeps what was read
            click.echo(f"evidence {evidence_id}: {status}")
        click.echo(f"{len(ids)} item{'s' if len(ids) != 1 else ''} read.")
