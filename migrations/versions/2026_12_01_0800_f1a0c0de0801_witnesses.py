"""Remote witness testimony: requests, signature records (issue 14).

Revision ID: f1a0c0de0801
Revises: e6c4a3b2d803
Create Date: 2026-12-01 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f1a0c0de0801"
down_revision = "e6c4a3b2d803"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Columns other helpers' work builds on: sealed and staff-recorded evidence (issue 14),
    # the planned end date and off-the-job hours of an apprenticeship (issue 16).
    with op.batch_alter_table("evidence_items") as batch:
        batch.add_column(sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("recorded_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_evidence_items_recorded_by_id_users", "users", ["recorded_by_id"], ["id"]
        )
    with op.batch_alter_table("apprenticeships") as batch:
        batch.add_column(sa.Column("planned_end_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("planned_otj_hours", sa.Integer(), nullable=True))

    # Remote witness testimony: requests by one-time link, and each statement's signature.
    op.create_table(
        "witness_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("apprenticeship_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("witness_name", sa.String(length=200), nullable=False),
        sa.Column("witness_email", sa.String(length=254), nullable=False),
        sa.Column("witness_role", sa.String(length=200), nullable=False),
        sa.Column("witness_relationship", sa.String(length=200), nullable=False),
        sa.Column("witness_organisation", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("activity_date", sa.Date(), nullable=False),
        sa.Column("unit_refs", sa.JSON(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "signed",
                "declined",
                "revoked",
                name="witnessrequeststatus",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["apprenticeship_id"],
            ["apprenticeships.id"],
            name=op.f("fk_witness_requests_apprenticeship_id_apprenticeships"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_witness_requests_requested_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["users.id"], name=op.f("fk_witness_requests_revoked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_witness_requests_evidence_id_evidence_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_witness_requests")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_witness_requests_token_hash")),
        sa.UniqueConstraint("evidence_id", name=op.f("uq_witness_requests_evidence_id")),
    )
    with op.batch_alter_table("witness_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_witness_requests_apprenticeship_id"), ["apprenticeship_id"], unique=False
        )
    op.create_table(
        "witness_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("signer_role", sa.String(length=200), nullable=False),
        sa.Column("signer_relationship", sa.String(length=200), nullable=False),
        sa.Column("signer_organisation", sa.String(length=200), nullable=False),
        sa.Column("typed_signature", sa.String(length=200), nullable=False),
        sa.Column("declaration", sa.Text(), nullable=False),
        sa.Column("sent_to_email", sa.String(length=254), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=500), nullable=False),
        sa.Column("hash_version", sa.Integer(), nullable=False),
        sa.Column("statement_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf_file_id", sa.Integer(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["witness_requests.id"],
            name=op.f("fk_witness_signatures_request_id_witness_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_witness_signatures_evidence_id_evidence_items"),
        ),
        sa.ForeignKeyConstraint(
            ["pdf_file_id"],
            ["stored_files.id"],
            name=op.f("fk_witness_signatures_pdf_file_id_stored_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_witness_signatures")),
        sa.UniqueConstraint("request_id", name=op.f("uq_witness_signatures_request_id")),
        sa.UniqueConstraint("evidence_id", name=op.f("uq_witness_signatures_evidence_id")),
        sa.UniqueConstraint("pdf_file_id", name=op.f("uq_witness_signatures_pdf_file_id")),
    )


def downgrade() -> None:
    op.drop_table("witness_signatures")
    with op.batch_alter_table("witness_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_witness_requests_apprenticeship_id"))
    op.drop_table("witness_requests")
    with op.batch_alter_table("apprenticeships") as batch:
        batch.drop_column("planned_otj_hours")
        batch.drop_column("planned_end_date")
    with op.batch_alter_table("evidence_items") as batch:
        batch.drop_constraint("fk_evidence_items_recorded_by_id_users", type_="foreignkey")
        batch.drop_column("recorded_by_id")
        batch.drop_column("sealed_at")
