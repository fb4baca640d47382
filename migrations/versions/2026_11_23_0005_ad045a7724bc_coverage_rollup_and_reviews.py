"""Coverage rollup and summaries (maintained per apprenticeship × unit), progress reviews and
their actions.

Revision ID: ad045a7724bc
Revises: dac39297a8e9
Create Date: 2026-11-23 11:36:58.454256
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ad045a7724bc"
down_revision = "dac39297a8e9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coverage_rollups",
        sa.Column("apprenticeship_id", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.Column("module_key", sa.String(length=100), nullable=False),
        sa.Column("tag_count", sa.Integer(), nullable=False),
        sa.Column("accepted_count", sa.Integer(), nullable=False),
        sa.Column("pending_count", sa.Integer(), nullable=False),
        sa.Column("sent_back_count", sa.Integer(), nullable=False),
        sa.Column("third_party_count", sa.Integer(), nullable=False),
        sa.Column("third_party_accepted_count", sa.Integer(), nullable=False),
        sa.Column("kinds", sa.String(length=400), nullable=False),
        sa.Column("is_covered", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["apprenticeship_id"],
            ["apprenticeships.id"],
            name=op.f("fk_coverage_rollups_apprenticeship_id_apprenticeships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reference_id"],
            ["standard_references.id"],
            name=op.f("fk_coverage_rollups_reference_id_standard_references"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "apprenticeship_id", "reference_id", name=op.f("pk_coverage_rollups")
        ),
    )
    with op.batch_alter_table("coverage_rollups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_coverage_rollups_covered", ["apprenticeship_id", "is_covered"], unique=False
        )

    op.create_table(
        "coverage_summaries",
        sa.Column("apprenticeship_id", sa.Integer(), nullable=False),
        sa.Column("covered_count", sa.Integer(), nullable=False),
        sa.Column("module_covered", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["apprenticeship_id"],
            ["apprenticeships.id"],
            name=op.f("fk_coverage_summaries_apprenticeship_id_apprenticeships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("apprenticeship_id", name=op.f("pk_coverage_summaries")),
    )
    op.create_table(
        "progress_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("apprenticeship_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("apprentice_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("apprentice_signed_by_id", sa.Integer(), nullable=True),
        sa.Column("employer_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("employer_signed_by_id", sa.Integer(), nullable=True),
        sa.Column("tutor_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tutor_signed_by_id", sa.Integer(), nullable=True),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["apprentice_signed_by_id"],
            ["users.id"],
            name=op.f("fk_progress_reviews_apprentice_signed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["apprenticeship_id"],
            ["apprenticeships.id"],
            name=op.f("fk_progress_reviews_apprenticeship_id_apprenticeships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["employer_signed_by_id"],
            ["users.id"],
            name=op.f("fk_progress_reviews_employer_signed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_progress_reviews_evidence_id_evidence_items"),
        ),
        sa.ForeignKeyConstraint(
            ["tutor_signed_by_id"],
            ["users.id"],
            name=op.f("fk_progress_reviews_tutor_signed_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_reviews")),
        sa.UniqueConstraint(
            "apprenticeship_id", "month", name=op.f("uq_progress_reviews_apprenticeship_id_month")
        ),
    )
    with op.batch_alter_table("progress_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_progress_reviews_apprenticeship_id"), ["apprenticeship_id"], unique=False
        )

    op.create_table(
        "progress_review_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_progress_review_actions_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_progress_review_actions_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["progress_reviews.id"],
            name=op.f("fk_progress_review_actions_review_id_progress_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_review_actions")),
    )
    with op.batch_alter_table("progress_review_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_progress_review_actions_review_id"), ["review_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("progress_review_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_review_actions_review_id"))

    op.drop_table("progress_review_actions")
    with op.batch_alter_table("progress_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_reviews_apprenticeship_id"))

    op.drop_table("progress_reviews")
    op.drop_table("coverage_summaries")
    with op.batch_alter_table("coverage_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_coverage_rollups_covered")

    op.drop_table("coverage_rollups")
