"""Invitations cancelled and typed, API token expiry and last use, the mail outbox.

Revision ID: b3f1c2a4d502
Revises: b3f1c2a4d501
Create Date: 2026-12-01 02:00:00
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "b3f1c2a4d502"
down_revision = "b3f1c2a4d501"
branch_labels = None
depends_on = None

#: Tokens created before expiry existed get this long from the upgrade (the default TTL).
_EXISTING_TOKEN_DAYS = 90


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_reset_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    # The server default stays: dropping it would make SQLite rebuild ``users``, and dropping
    # that table to rebuild it deletes, through ON DELETE CASCADE, every row that refers to it.

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "purpose",
                sa.Enum(
                    "invitation",
                    "password_reset",
                    name="invitationpurpose",
                    native_enum=False,
                    create_constraint=True,
                    length=40,
                ),
                nullable=False,
                server_default="invitation",
            )
        )
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    # Of several open invitations of one person only the newest stays usable.
    op.execute(
        """
        UPDATE invitations SET cancelled_at = CURRENT_TIMESTAMP
        WHERE used_at IS NULL AND id < (
            SELECT MAX(newer.id) FROM invitations AS newer
            WHERE newer.user_id = invitations.user_id
        )
        """
    )

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=_EXISTING_TOKEN_DAYS)
    op.get_bind().execute(
        sa.text("UPDATE api_tokens SET expires_at = :expires"), {"expires": expires}
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column(
            "expires_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )

    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("from_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_to_address"), ["to_address"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_to_address"))
        batch_op.drop_index(batch_op.f("ix_outbox_messages_created_at"))
    op.drop_table("outbox_messages")

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")

    # A reset link would read as an invitation after the downgrade: drop the ones still open,
    # and the cancelled ones, which the older code would otherwise accept again.
    op.execute(
        "DELETE FROM invitations WHERE cancelled_at IS NOT NULL "
        "OR (purpose = 'password_reset' AND used_at IS NULL)"
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        # SQLite's rebuild would otherwise keep the CHECK on the column it drops.
        batch_op.drop_constraint(op.f("ck_invitations_invitationpurpose"), type_="check")
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("purpose")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("must_reset_password")
