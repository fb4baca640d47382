"""Structured progress reviews: sections, targets, scheduling (issue 16).

Revision ID: f1a0c0de0821
Revises: f1a0c0de0811
Create Date: 2026-12-01 08:20:00
"""

from __future__ import annotations

revision = "f1a0c0de0821"
down_revision = "f1a0c0de0811"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
