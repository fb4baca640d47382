"""A partial index on pending tags, oldest first, for the tutor's marking queue.

Revision ID: d5b3f2a1c702
Revises: c4a2e1f0b601
Create Date: 2026-12-01 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d5b3f2a1c702"
down_revision = "c4a2e1f0b601"
branch_labels = None
depends_on = None

PENDING = "status = 'pending' AND removed_at IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_evidence_tags_pending",
        "evidence_tags",
        ["created_at", "id"],
        postgresql_where=sa.text(PENDING),
        sqlite_where=sa.text(PENDING),
    )


def downgrade() -> None:
    op.drop_index("ix_evidence_tags_pending", table_name="evidence_tags")
