"""Assessor's workspace: judgement citations and versions (issue 15).

Revision ID: f1a0c0de0851
Revises: f1a0c0de0841
Create Date: 2026-12-01 08:50:00
"""

from __future__ import annotations

revision = "f1a0c0de0851"
down_revision = "f1a0c0de0841"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
