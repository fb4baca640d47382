"""Audit chain checkpoints.

Revision ID: b3f1c2a4d504
Revises: b3f1c2a4d503
Create Date: 2026-12-01 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "b3f1c2a4d504"
down_revision = "b3f1c2a4d503"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
