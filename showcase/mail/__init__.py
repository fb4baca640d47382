"""Outgoing email: one ``send_email`` in front of two backends, the outbox table (development
default, read at /admin/outbox) and SMTP."""

from showcase.mail.services import MailNotSent, send_email

__all__ = ["MailNotSent", "send_email"]
