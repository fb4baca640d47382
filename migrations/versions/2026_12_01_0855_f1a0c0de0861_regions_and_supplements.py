"""Evidence regions on tags; assessment organisations' criteria supplements (issue 15).

Revision ID: f1a0c0de0861
Revises: f1a0c0de0851
Create Date: 2026-12-01 08:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f1a0c0de0861"
down_revision = "f1a0c0de0851"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable columns only: SQLite adds them in place (ALTER TABLE ADD COLUMN), so tables that
    # others reference (tags, files, references) are never rebuilt.
    op.add_column("evidence_tags", sa.Column("region_kind", sa.String(length=10), nullable=True))
    op.add_column("evidence_tags", sa.Column("region_start", sa.Integer(), nullable=True))
    op.add_column("evidence_tags", sa.Column("region_end", sa.Integer(), nullable=True))
    op.add_column("stored_files", sa.Column("duration_ms", sa.BigInteger(), nullable=True))
    op.add_column("stored_files", sa.Column("page_count", sa.Integer(), nullable=True))
    op.create_table(
        "standard_supplements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("standard_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("is_illustrative", sa.Boolean(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_standard_supplements_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["standard_id"],
            ["standards.id"],
            name=op.f("fk_standard_supplements_standard_id_standards"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_standard_supplements_uploaded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standard_supplements")),
        sa.UniqueConstraint(
            "standard_id",
            "organisation_id",
            "version",
            name=op.f("uq_standard_supplements_standard_id_organisation_id_version"),
        ),
    )
    op.create_index(
        op.f("ix_standard_supplements_standard_id"), "standard_supplements", ["standard_id"]
    )
    op.create_index(
        op.f("ix_standard_supplements_organisation_id"),
        "standard_supplements",
        ["organisation_id"],
    )
    op.create_table(
        "standard_supplement_criteria",
        sa.Column("supplement_id", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reference_id"],
            ["standard_references.id"],
            name=op.f("fk_standard_supplement_criteria_reference_id_standard_references"),
        ),
        sa.ForeignKeyConstraint(
            ["supplement_id"],
            ["standard_supplements.id"],
            name=op.f("fk_standard_supplement_criteria_supplement_id_standard_supplements"),
        ),
        sa.PrimaryKeyConstraint(
            "supplement_id", "reference_id", name=op.f("pk_standard_supplement_criteria")
        ),
        sa.UniqueConstraint(
            "reference_id", name=op.f("uq_standard_supplement_criteria_reference_id")
        ),
    )


def downgrade() -> None:
    bind = op.get_bind()
    # A supplement's criteria, and judgements on them, go with the supplements.
    bind.execute(
        sa.text(
            "DELETE FROM judgements WHERE reference_id IN "
            "(SELECT reference_id FROM standard_supplement_criteria)"
        )
    )
    ids = [
        row[0]
        for row in bind.execute(sa.text("SELECT reference_id FROM standard_supplement_criteria"))
    ]
    op.drop_table("standard_supplement_criteria")
    if ids:
        bind.execute(
            sa.text("DELETE FROM standard_references WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": ids},
        )
    op.drop_index(
        op.f("ix_standard_supplements_organisation_id"), table_name="standard_supplements"
    )
    op.drop_index(op.f("ix_standard_supplements_standard_id"), table_name="standard_supplements")
    op.drop_table("standard_supplements")
    op.drop_column("stored_files", "page_count")
    op.drop_column("stored_files", "duration_ms")
    op.drop_column("evidence_tags", "region_end")
    op.drop_column("evidence_tags", "region_start")
    op.drop_column("evidence_tags", "region_kind")
