"""Gateway units covered at the end of each past day the forecast samples (issue 16).

Revision ID: f1a0c0de0881
Revises: f1a0c0de0871
Create Date: 2026-12-01 08:59:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f1a0c0de0881"
down_revision = "f1a0c0de0871"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Filled by the daily "coverage-days" job and `flask coverage rebuild`; until then the
    # dashboard computes the forecast from the tag history, so an empty table is correct.
    op.create_table(
        "coverage_days",
        sa.Column("apprenticeship_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("units_covered", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["apprenticeship_id"],
            ["apprenticeships.id"],
            name=op.f("fk_coverage_days_apprenticeship_id_apprenticeships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("apprenticeship_id", "day", name=op.f("pk_coverage_days")),
    )


def downgrade() -> None:
    op.drop_table("coverage_days")
