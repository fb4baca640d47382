"""Direct uploads to S3: an upload session's mode, state and reason for refusal (issue 19).

Revision ID: f1a0c0de0871
Revises: f1a0c0de0861
Create Date: 2026-12-01 08:58:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f1a0c0de0871"
down_revision = "f1a0c0de0861"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("upload_sessions") as batch:
        batch.add_column(
            sa.Column("direct", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("state", sa.String(20), nullable=False, server_default="uploading")
        )
        batch.add_column(sa.Column("failure", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("upload_sessions") as batch:
        batch.drop_column("failure")
        batch.drop_column("state")
        batch.drop_column("direct")
