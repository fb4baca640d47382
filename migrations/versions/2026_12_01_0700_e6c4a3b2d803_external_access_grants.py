"""External quality assurers: a role of their own and time-limited grants on locked versions.

Revision ID: e6c4a3b2d803
Revises: d5b3f2a1c702
Create Date: 2026-12-01 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e6c4a3b2d803"
down_revision = "d5b3f2a1c702"
branch_labels = None
depends_on = None

_OLD_ROLES = ("apprentice", "employer_contact", "tutor", "assessor", "quality_assurer", "admin")
_NEW_ROLES = (*_OLD_ROLES, "external_quality_assurer")
_CHECK = "ck_users_role"


def _in_list(roles: tuple[str, ...]) -> str:
    return ", ".join(f"'{role}'" for role in roles)


def _set_roles(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    """Replace the CHECK constraint on ``users.role`` (a str_enum) with one allowing ``new``.

    PostgreSQL alters it in place. SQLite cannot alter a constraint, and batch mode's rebuild of
    ``users`` would drop the table, which (foreign keys on, inside the migration's transaction,
    where they cannot be switched off) deletes every invitation, token and notification through
    ON DELETE CASCADE and fails on every other reference. So on SQLite the constraint's text is
    rewritten in the schema, the procedure SQLite documents for changing a CHECK constraint
    (https://sqlite.org/lang_altertable.html, "making other kinds of table schema changes"):
    the rows on disk do not change, and the downgrade first makes sure none would break it.
    """
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        before = f"role IN ({_in_list(old)})"
        after = f"role IN ({_in_list(new)})"
        sql = bind.scalar(
            sa.text("SELECT sql FROM sqlite_master WHERE type='table' AND name='users'")
        )
        if sql is None or sql.count(before) != 1:
            raise RuntimeError(f"users.role's CHECK constraint is not the expected {before!r}.")
        version = bind.scalar(sa.text("PRAGMA schema_version"))
        bind.exec_driver_sql("PRAGMA writable_schema=ON")
        bind.execute(
            sa.text("UPDATE sqlite_master SET sql = :sql WHERE type='table' AND name='users'"),
            {"sql": sql.replace(before, after)},
        )
        # A new schema version makes every connection re-read the schema.
        bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
        bind.exec_driver_sql("PRAGMA writable_schema=OFF")
        if bind.scalar(sa.text("PRAGMA integrity_check")) != "ok":
            raise RuntimeError("The SQLite schema failed its integrity check after the change.")
    else:
        op.drop_constraint(op.f(_CHECK), "users", type_="check")
        op.create_check_constraint(op.f(_CHECK), "users", sa.text(f"role IN ({_in_list(new)})"))


def upgrade() -> None:
    _set_roles(_OLD_ROLES, _NEW_ROLES)
    op.create_table(
        "access_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["granted_by_id"], ["users.id"], name=op.f("fk_access_grants_granted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_access_grants_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["users.id"], name=op.f("fk_access_grants_revoked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_access_grants_submission_id_submissions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_access_grants_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_grants")),
    )
    with op.batch_alter_table("access_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_grants_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_access_grants_submission_id"), ["submission_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_access_grants_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("access_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_grants_user_id"))
        batch_op.drop_index(batch_op.f("ix_access_grants_submission_id"))
        batch_op.drop_index(batch_op.f("ix_access_grants_organisation_id"))
    op.drop_table("access_grants")
    # Their accounts are named in the audit chain, so they are not deleted here: the older
    # schema has no role for them, and the downgrade stops until an operator decides.
    remaining = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM users WHERE role = 'external_quality_assurer'")
    )
    if remaining:
        raise RuntimeError(
            f"{remaining} external quality assurer account(s) exist; the older schema has no "
            "such role. Remove or re-role them before downgrading."
        )
    _set_roles(_NEW_ROLES, _OLD_ROLES)
