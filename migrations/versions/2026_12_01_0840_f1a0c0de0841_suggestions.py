"""Suggested units: extracted text, suggestion provenance on tags (issue 20).

Revision ID: f1a0c0de0841
Revises: f1a0c0de0831
Create Date: 2026-12-01 08:40:00
"""

from __future__ import annotations

revision = "f1a0c0de0841"
down_revision = "f1a0c0de0831"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
