"""Run Alembic programmatically against an engine or connection (CLI and tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine

from config import ROOT


def alembic_config(bind: Connection | None = None) -> AlembicConfig:
    cfg = AlembicConfig(str(Path(ROOT) / "alembic.ini"))
    cfg.attributes["connection"] = bind
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema up to ``revision``."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema down to ``revision`` (``base`` drops everything)."""
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def check(engine: Engine) -> None:
    """Raise if the models and the migrated schema disagree (alembic check)."""
    with engine.begin() as connection:
        command.check(alembic_config(connection))


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new revision from the models (developers only)."""
    with engine.begin() as connection:
        command.revision(alembic_config(connection), message=message, autogenerate=True)
