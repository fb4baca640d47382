"""Evidence regions on tags; assessment organisations' criteria supplements (issue 15).

Revision ID: f1a0c0de0861
Revises: f1a0c0de0851
Create Date: 2026-12-01 08:60:00
"""

from __future__ import annotations

revision = "f1a0c0de0861"
down_revision = "f1a0c0de0851"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
