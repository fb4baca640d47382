"""Off-the-job training log, planned hours and end date (issue 16).

Revision ID: f1a0c0de0831
Revises: f1a0c0de0821
Create Date: 2026-12-01 08:30:00
"""

from __future__ import annotations

revision = "f1a0c0de0831"
down_revision = "f1a0c0de0821"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
