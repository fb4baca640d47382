"""Structured progress reviews: sections, targets, scheduling (issue 16).

Revision ID: f1a0c0de0821
Revises: f1a0c0de0811
Create Date: 2026-12-01 08:20:00

The review's meeting (scheduled_at, duration, place or link, the invitation's sequence) sits on
``progress_reviews``; each proposal or change of it is a row of
``progress_review_schedule_changes``; each written section (and, once a review is signed, every
section as it read) is a row of ``progress_review_sections``. The two NOT NULL columns added to
``progress_reviews`` carry server defaults so that existing rows get a value; ADD COLUMN needs no
rebuild of the table on SQLite (which other tables reference).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f1a0c0de0821"
down_revision = "f1a0c0de0811"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("progress_reviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("duration_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("location", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("schedule_sequence", sa.Integer(), nullable=False, server_default="0")
        )

    op.create_table(
        "progress_review_sections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("writer", sa.String(length=20), nullable=False),
        sa.Column("is_sensitive", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_by_id", sa.Integer(), nullable=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["progress_reviews.id"],
            name=op.f("fk_progress_review_sections_review_id_progress_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["written_by_id"],
            ["users.id"],
            name=op.f("fk_progress_review_sections_written_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_review_sections")),
        sa.UniqueConstraint(
            "review_id", "key", name=op.f("uq_progress_review_sections_review_id_key")
        ),
    )
    with op.batch_alter_table("progress_review_sections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_progress_review_sections_review_id"), ["review_id"], unique=False
        )

    op.create_table(
        "progress_review_schedule_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["users.id"],
            name=op.f("fk_progress_review_schedule_changes_changed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["progress_reviews.id"],
            name=op.f("fk_progress_review_schedule_changes_review_id_progress_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_review_schedule_changes")),
    )
    with op.batch_alter_table("progress_review_schedule_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_progress_review_schedule_changes_review_id"),
            ["review_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("progress_review_schedule_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_review_schedule_changes_review_id"))
    op.drop_table("progress_review_schedule_changes")

    with op.batch_alter_table("progress_review_sections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_review_sections_review_id"))
    op.drop_table("progress_review_sections")

    # DROP COLUMN without a rebuild (SQLite 3.35+ and PostgreSQL): the columns hold no index
    # or constraint, and a batch rebuild of a referenced table is what we avoid.
    for column in ("schedule_sequence", "location", "duration_minutes", "scheduled_at"):
        op.drop_column("progress_reviews", column)
