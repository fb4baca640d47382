"""Follow-ups: at a review, what became of each action agreed at the previous one.

Revision ID: d7123f8a3561
Revises: ad045a7724bc
Create Date: 2026-11-23 13:49:30.009742
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d7123f8a3561"
down_revision = "ad045a7724bc"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "progress_review_followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "done",
                "in_progress",
                "not_done",
                name="actionoutcome",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["progress_review_actions.id"],
            name=op.f("fk_progress_review_followups_action_id_progress_review_actions"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_progress_review_followups_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["progress_reviews.id"],
            name=op.f("fk_progress_review_followups_review_id_progress_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_review_followups")),
        sa.UniqueConstraint(
            "review_id", "action_id", name=op.f("uq_progress_review_followups_review_id_action_id")
        ),
    )
    with op.batch_alter_table("progress_review_followups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_progress_review_followups_review_id"), ["review_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("progress_review_followups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_review_followups_review_id"))

    op.drop_table("progress_review_followups")
