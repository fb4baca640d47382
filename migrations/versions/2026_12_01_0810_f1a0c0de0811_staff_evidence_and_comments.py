"""Evidence recorded by staff, and comment threads on items (issue 14).

Revision ID: f1a0c0de0811
Revises: f1a0c0de0801
Create Date: 2026-12-01 08:10:00
"""

from __future__ import annotations

revision = "f1a0c0de0811"
down_revision = "f1a0c0de0801"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
