"""Evidence recorded by staff, and comment threads on items (issue 14).

Revision ID: f1a0c0de0811
Revises: f1a0c0de0801
Create Date: 2026-12-01 08:10:00
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "f1a0c0de0811"
down_revision = "f1a0c0de0801"
branch_labels = None
depends_on = None

#: (table, CHECK constraint, column, values this revision adds). Each is a str_enum column.
_ADDED = (
    ("evidence_items", "ck_evidence_items_evidencekind", "kind", ("professional_discussion",)),
    ("notifications", "ck_notifications_kind", "kind", ("evidence_comment",)),
    (
        "notification_preferences",
        "ck_notification_preferences_kind",
        "kind",
        ("evidence_comment",),
    ),
)


def _in_list(values: list[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _change_values(
    table: str, name: str, column: str, *, add: tuple[str, ...] = (), drop: tuple[str, ...] = ()
) -> None:
    """Add or drop allowed values of a str_enum's CHECK constraint, keeping the others.

    The constraint's current values are read from the database rather than written out here:
    other revisions of this wave add values to the same constraints (notification kinds), and a
    fixed "before" list would break whichever ran second. PostgreSQL drops and recreates the
    constraint. SQLite cannot alter a constraint, and batch mode's rebuild of a table that
    others reference (evidence items, with tags, files and comments pointing at them) is what
    the external access grants revision explains we must not do; so, as there, the
    constraint's text is rewritten in the schema (https://sqlite.org/lang_altertable.html,
    "making other kinds of table schema changes"): the rows on disk do not change.
    """
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        sql = bind.scalar(
            sa.text("SELECT sql FROM sqlite_master WHERE type='table' AND name=:t"), {"t": table}
        )
        pattern = re.compile(
            rf"CONSTRAINT {name} CHECK \({re.escape(column)} IN \(([^)]*)\)\)", re.IGNORECASE
        )
        found = pattern.findall(sql or "")
        if len(found) != 1:
            raise RuntimeError(f"{table}: CHECK constraint {name} on {column} not found.")
        values = re.findall(r"'([^']*)'", found[0])
        new = [v for v in values if v not in drop] + [v for v in add if v not in values]
        replaced = pattern.sub(
            f"CONSTRAINT {name} CHECK ({column} IN ({_in_list(new)}))", sql, count=1
        )
        version = bind.scalar(sa.text("PRAGMA schema_version"))
        bind.exec_driver_sql("PRAGMA writable_schema=ON")
        bind.execute(
            sa.text("UPDATE sqlite_master SET sql = :sql WHERE type='table' AND name=:t"),
            {"sql": replaced, "t": table},
        )
        # A new schema version makes every connection re-read the schema.
        bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
        bind.exec_driver_sql("PRAGMA writable_schema=OFF")
        if bind.scalar(sa.text("PRAGMA integrity_check")) != "ok":
            raise RuntimeError("The SQLite schema failed its integrity check after the change.")
    else:
        definition = bind.scalar(
            sa.text(
                "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "JOIN pg_class t ON t.oid = c.conrelid WHERE c.conname = :n AND t.relname = :t"
            ),
            {"n": name, "t": table},
        )
        if definition is None:
            raise RuntimeError(f"{table}: CHECK constraint {name} not found.")
        values = re.findall(r"'([^']*)'", definition)
        new = [v for v in values if v not in drop] + [v for v in add if v not in values]
        # op.f: the name is final, not one for the naming convention to build on.
        op.drop_constraint(op.f(name), table, type_="check")
        op.create_check_constraint(op.f(name), table, sa.text(f"{column} IN ({_in_list(new)})"))


def upgrade() -> None:
    for table, name, column, values in _ADDED:
        _change_values(table, name, column, add=values)
    op.create_table(
        "evidence_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("included_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_evidence_comments_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_evidence_comments_evidence_id_evidence_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_comments")),
    )
    with op.batch_alter_table("evidence_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evidence_comments_evidence_id"), ["evidence_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_comments_evidence_id"))
    op.drop_table("evidence_comments")
    bind = op.get_bind()
    # The older schema has no such values: stop rather than lose rows (staff records are
    # evidence; their kind is for an operator to decide), but notifications of a kind the
    # older code cannot show, and choices about them, go.
    remaining = bind.scalar(
        sa.text("SELECT count(*) FROM evidence_items WHERE kind = 'professional_discussion'")
    )
    if remaining:
        raise RuntimeError(
            f"{remaining} evidence item(s) are professional discussion notes; the older schema "
            "has no such kind. Change their kind before downgrading."
        )
    bind.execute(sa.text("DELETE FROM notifications WHERE kind = 'evidence_comment'"))
    bind.execute(sa.text("DELETE FROM notification_preferences WHERE kind = 'evidence_comment'"))
    for table, name, column, values in reversed(_ADDED):
        _change_values(table, name, column, drop=values)
