"""Off-the-job training log, planned hours and end date (issue 16).

Revision ID: f1a0c0de0831
Revises: f1a0c0de0821
Create Date: 2026-12-01 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f1a0c0de0831"
down_revision = "f1a0c0de0821"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("apprenticeship_id", sa.Integer(), nullable=False),
        sa.Column("activity_date", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("unit_refs", sa.JSON(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "approved",
                "returned",
                name="entrystatus",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["apprenticeship_id"],
            ["apprenticeships.id"],
            name=op.f("fk_training_entries_apprenticeship_id_apprenticeships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_training_entries_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_training_entries_evidence_id_evidence_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["users.id"],
            name=op.f("fk_training_entries_reviewed_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_entries")),
    )
    with op.batch_alter_table("training_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_training_entries_apprenticeship_status",
            ["apprenticeship_id", "status"],
            unique=False,
        )

    op.create_table(
        "training_prior_learning",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("apprenticeship_id", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["apprenticeship_id"],
            ["apprenticeships.id"],
            name=op.f("fk_training_prior_learning_apprenticeship_id_apprenticeships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_training_prior_learning_recorded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_prior_learning")),
    )
    with op.batch_alter_table("training_prior_learning", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_prior_learning_apprenticeship_id"),
            ["apprenticeship_id"],
            unique=False,
        )

    op.create_table(
        "training_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("apprenticeship_id", sa.Integer(), nullable=False),
        sa.Column("planned_minutes", sa.Integer(), nullable=False),
        sa.Column("delivered_minutes", sa.Integer(), nullable=False),
        sa.Column("minimum_hours", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("signed_by_id", sa.Integer(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["apprenticeship_id"],
            ["apprenticeships.id"],
            name=op.f("fk_training_statements_apprenticeship_id_apprenticeships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"], ["users.id"], name=op.f("fk_training_statements_signed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_statements")),
    )
    with op.batch_alter_table("training_statements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_statements_apprenticeship_id"),
            ["apprenticeship_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("training_statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_statements_apprenticeship_id"))
    op.drop_table("training_statements")
    with op.batch_alter_table("training_prior_learning", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_prior_learning_apprenticeship_id"))
    op.drop_table("training_prior_learning")
    with op.batch_alter_table("training_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_training_entries_apprenticeship_status")
    op.drop_table("training_entries")
