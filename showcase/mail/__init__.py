"""Outgoing email: one ``send_email`` in front of two backends, the outbox table (development
default, read at /admin/outbox) and SMTP; ``queue_email`` to send one after the commit."""

from flask import Flask

from showcase.mail.services import MailNotSent, find_delivery, queue_email, send_email

__all__ = ["MailNotSent", "find_delivery", "init_mail", "queue_email", "send_email"]


def init_mail(app: Flask) -> None:
    """Schedule the sweep that queues unsent emails again (after ``init_jobs``)."""
    from showcase import jobs
    from showcase.mail.jobs import resend_unsent

    jobs.schedule(
        app,
        "resend",
        resend_unsent,
        cron_setting="RESEND_CRON",
        help="queue again the emails still unsent (lost or failed jobs)",
    )
