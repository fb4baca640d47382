"""Remote witness testimony: requests, signature records (issue 14).

Revision ID: f1a0c0de0801
Revises: e6c4a3b2d803
Create Date: 2026-12-01 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f1a0c0de0801"
down_revision = "e6c4a3b2d803"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Columns other helpers' work builds on: sealed and staff-recorded evidence (issue 14),
    # the planned end date and off-the-job hours of an apprenticeship (issue 16).
    with op.batch_alter_table("evidence_items") as batch:
        batch.add_column(sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("recorded_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_evidence_items_recorded_by_id_users", "users", ["recorded_by_id"], ["id"]
        )
    with op.batch_alter_table("apprenticeships") as batch:
        batch.add_column(sa.Column("planned_end_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("planned_otj_hours", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("apprenticeships") as batch:
        batch.drop_column("planned_otj_hours")
        batch.drop_column("planned_end_date")
    with op.batch_alter_table("evidence_items") as batch:
        batch.drop_constraint("fk_evidence_items_recorded_by_id_users", type_="foreignkey")
        batch.drop_column("recorded_by_id")
        batch.drop_column("sealed_at")
