"""Apprenticeship parties and organisation memberships kept as a history (independence checks).

Revision ID: b3f1c2a4d501
Revises: d7123f8a3561
Create Date: 2026-12-01 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "b3f1c2a4d501"
down_revision = "d7123f8a3561"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
