"""Apprenticeship parties and organisation memberships kept as a history (independence checks).

Both tables are backfilled from today's rows: each apprenticeship's tutor and line manager hold
their role since its start date, and each person with an organisation has been a member since
their account was created.

Revision ID: b3f1c2a4d501
Revises: d7123f8a3561
Create Date: 2026-12-01 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b3f1c2a4d501"
down_revision = "d7123f8a3561"
branch_labels = None
depends_on = None

ROLES = (
    "apprentice",
    "employer_contact",
    "tutor",
    "assessor",
    "quality_assurer",
    "admin",
)


def upgrade() -> None:
    op.create_table(
        "apprenticeship_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("apprenticeship_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "tutor",
                "line_manager",
                name="partyrole",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["apprenticeship_id"],
            ["apprenticeships.id"],
            name=op.f("fk_apprenticeship_parties_apprenticeship_id_apprenticeships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_apprenticeship_parties_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apprenticeship_parties")),
    )
    with op.batch_alter_table("apprenticeship_parties", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_apprenticeship_parties_apprenticeship_id"),
            ["apprenticeship_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_apprenticeship_parties_user_id"), ["user_id"], unique=False
        )
        batch_op.create_index(
            "uq_apprenticeship_parties_current",
            ["apprenticeship_id", "role"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )

    op.create_table(
        "organisation_memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(*ROLES, name="role", native_enum=False, create_constraint=True, length=40),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_memberships_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_organisation_memberships_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_memberships")),
    )
    with op.batch_alter_table("organisation_memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisation_memberships_organisation_id"),
            ["organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_organisation_memberships_user_id"), ["user_id"], unique=False
        )
        batch_op.create_index(
            "uq_organisation_memberships_current",
            ["user_id"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )

    _backfill()


def _backfill() -> None:
    # Midnight UTC of the start date, in each backend's own storage of a timezone-aware
    # timestamp (SQLite: SQLAlchemy's text format, naive UTC).
    if op.get_bind().dialect.name == "postgresql":
        start = "CAST(start_date AS timestamp) AT TIME ZONE 'UTC'"
    else:
        start = "start_date || ' 00:00:00.000000'"
    for role in ("tutor", "line_manager"):
        op.execute(
            # Fixed names and expressions only; no input reaches this SQL.
            "INSERT INTO apprenticeship_parties (apprenticeship_id, user_id, role, started_at) "  # noqa: S608
            f"SELECT id, {role}_id, '{role}', {start} FROM apprenticeships"
        )
    op.execute(
        "INSERT INTO organisation_memberships (user_id, organisation_id, role, started_at) "
        "SELECT id, organisation_id, role, created_at FROM users "
        "WHERE organisation_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("organisation_memberships", schema=None) as batch_op:
        batch_op.drop_index("uq_organisation_memberships_current")
        batch_op.drop_index(batch_op.f("ix_organisation_memberships_user_id"))
        batch_op.drop_index(batch_op.f("ix_organisation_memberships_organisation_id"))
    op.drop_table("organisation_memberships")

    with op.batch_alter_table("apprenticeship_parties", schema=None) as batch_op:
        batch_op.drop_index("uq_apprenticeship_parties_current")
        batch_op.drop_index(batch_op.f("ix_apprenticeship_parties_user_id"))
        batch_op.drop_index(batch_op.f("ix_apprenticeship_parties_apprenticeship_id"))
    op.drop_table("apprenticeship_parties")
