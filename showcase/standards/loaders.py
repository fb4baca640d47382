"""Loaders for standards: 404 when no such standard is imported."""

from __future__ import annotations

from sqlalchemy import select

from showcase import db
from showcase.errors import NotFound
from showcase.standards.models import Standard


def get_standard_or_404(code: str, version: str | None = None) -> Standard:
    """A standard by code and version (latest imported version when none is given)."""
    stmt = select(Standard).where(Standard.code == code)
    if version:
        stmt = stmt.where(Standard.version == version)
    standard = db.session.scalars(stmt.order_by(Standard.imported_at.desc())).first()
    if standard is None:
        raise NotFound(f"No standard {code}{'/' + version if version else ''} is imported.")
    return standard
