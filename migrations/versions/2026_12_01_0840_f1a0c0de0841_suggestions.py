"""Suggested units: extracted text, suggestion provenance on tags (issue 20).

Revision ID: f1a0c0de0841
Revises: f1a0c0de0831
Create Date: 2026-12-01 08:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f1a0c0de0841"
down_revision = "f1a0c0de0831"
branch_labels = None
depends_on = None

STATUSES = ("done", "empty", "unsupported", "failed")


def upgrade() -> None:
    op.create_table(
        "evidence_texts",
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                *STATUSES,
                name="extractionstatus",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("extracted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_evidence_texts_evidence_id_evidence_items"),
        ),
        sa.PrimaryKeyConstraint("evidence_id", name=op.f("pk_evidence_texts")),
    )
    # Plain ADD COLUMN (nullable, no default): SQLite does it in place, so the tags table, which
    # its events reference, is not rebuilt.
    op.add_column("evidence_tags", sa.Column("suggestion_rank", sa.Integer(), nullable=True))
    op.add_column(
        "evidence_tags", sa.Column("suggestion_ranker", sa.String(length=20), nullable=True)
    )


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN on both (SQLite since 3.35): no rebuild of the tags table.
    op.drop_column("evidence_tags", "suggestion_ranker")
    op.drop_column("evidence_tags", "suggestion_rank")
    op.drop_table("evidence_texts")
