"""Resumable uploads remember the client's declared whole-file digest.

Revision ID: b3f1c2a4d503
Revises: b3f1c2a4d502
Create Date: 2026-12-01 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "b3f1c2a4d503"
down_revision = "b3f1c2a4d502"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
