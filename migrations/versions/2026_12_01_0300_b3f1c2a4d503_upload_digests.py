"""Resumable uploads remember the client's declared whole-file digest.

Revision ID: b3f1c2a4d503
Revises: b3f1c2a4d502
Create Date: 2026-12-01 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b3f1c2a4d503"
down_revision = "b3f1c2a4d502"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("upload_sessions") as batch:
        batch.add_column(sa.Column("sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("upload_sessions") as batch:
        batch.drop_column("sha256")
