"""Assessor's workspace: judgement citations and versions (issue 15).

Revision ID: f1a0c0de0851
Revises: f1a0c0de0841
Create Date: 2026-12-01 08:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f1a0c0de0851"
down_revision = "f1a0c0de0841"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("judgements", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
    # The server default stays: dropping it would make SQLite rebuild ``judgements``.

    op.create_table(
        "judgement_citations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("judgement_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("region_kind", sa.String(length=10), nullable=True),
        sa.Column("region_start", sa.Integer(), nullable=True),
        sa.Column("region_end", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_judgement_citations_evidence_id_evidence_items"),
        ),
        sa.ForeignKeyConstraint(
            ["judgement_id"],
            ["judgements.id"],
            name=op.f("fk_judgement_citations_judgement_id_judgements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judgement_citations")),
        sa.UniqueConstraint(
            "judgement_id",
            "evidence_id",
            name=op.f("uq_judgement_citations_judgement_id_evidence_id"),
        ),
    )
    with op.batch_alter_table("judgement_citations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_judgement_citations_evidence_id"), ["evidence_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_judgement_citations_judgement_id"), ["judgement_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("judgement_citations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_judgement_citations_judgement_id"))
        batch_op.drop_index(batch_op.f("ix_judgement_citations_evidence_id"))
    op.drop_table("judgement_citations")
    with op.batch_alter_table("judgements", schema=None) as batch_op:
        batch_op.drop_column("version")
