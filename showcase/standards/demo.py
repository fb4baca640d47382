"""The demo's supplement: an illustrative example of an assessment organisation's own criteria
for ST0072's showcase, labelled as such wherever it is shown (never a real organisation's)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from showcase import db
from showcase.accounts.models import User
from showcase.standards import services
from showcase.standards.files import DATA_DIR
from showcase.standards.loaders import get_standard_or_404

EXAMPLE = DATA_DIR / "supplements" / "st0072-ap02-example.yaml"


def add_demo_supplement(path: Path = EXAMPLE) -> None:
    """office@epa.test imports the illustrative ST0072 showcase criteria for its organisation."""
    office = db.session.scalar(select(User).where(User.email == "office@epa.test"))
    if office is None:
        return
    services.import_supplement(
        office, get_standard_or_404("ST0072", "AP02"), path.read_text(encoding="utf-8"), path.name
    )
