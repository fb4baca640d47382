"""Notifications, email choices per kind, queued email deliveries; outbox attachments.

Revision ID: c4a2e1f0b601
Revises: b3f1c2a4d503
Create Date: 2026-12-01 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c4a2e1f0b601"
down_revision = "b3f1c2a4d503"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["users.id"],
            name=op.f("fk_email_deliveries_recipient_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_deliveries")),
        sa.UniqueConstraint("key", name=op.f("uq_email_deliveries_key")),
    )
    with op.batch_alter_table("email_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_email_deliveries_recipient_id"), ["recipient_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_email_deliveries_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "notification_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "tag_sent_back",
                "tag_accepted",
                "review_waiting",
                "review_signed",
                "review_due",
                "review_overdue",
                "gateway_signed_off",
                "showcase_locked",
                "assessor_assigned",
                "grade_released",
                name="kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "mode",
            sa.Enum(
                "immediately",
                "digest",
                "off",
                name="emailmode",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preferences")),
        sa.UniqueConstraint(
            "user_id", "kind", name=op.f("uq_notification_preferences_user_id_kind")
        ),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "tag_sent_back",
                "tag_accepted",
                "review_waiting",
                "review_signed",
                "review_due",
                "review_overdue",
                "gateway_signed_off",
                "showcase_locked",
                "assessor_assigned",
                "grade_released",
                name="kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("apprenticeship_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "email_mode",
            sa.Enum(
                "immediately",
                "digest",
                "off",
                name="emailmode",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("email_delivery_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["apprenticeship_id"],
            ["apprenticeships.id"],
            name=op.f("fk_notifications_apprenticeship_id_apprenticeships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["email_delivery_id"],
            ["email_deliveries.id"],
            name=op.f("fk_notifications_email_delivery_id_email_deliveries"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["users.id"],
            name=op.f("fk_notifications_recipient_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("key", name=op.f("uq_notifications_key")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_apprenticeship_id"), ["apprenticeship_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notifications_email_delivery_id"), ["email_delivery_id"], unique=False
        )
        batch_op.create_index(
            "ix_notifications_recipient_id_read_at", ["recipient_id", "read_at"], unique=False
        )

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachments", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("attachments")

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_recipient_id_read_at")
        batch_op.drop_index(batch_op.f("ix_notifications_email_delivery_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_apprenticeship_id"))

    op.drop_table("notifications")
    op.drop_table("notification_preferences")
    with op.batch_alter_table("email_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_deliveries_sent_at"))
        batch_op.drop_index(batch_op.f("ix_email_deliveries_recipient_id"))

    op.drop_table("email_deliveries")
