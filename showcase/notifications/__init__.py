"""Notifications: who is told what, in the app (the list and the unread count) and by email
(immediately, in a daily digest, or not at all, as each person chooses per kind).

Events come from the audit chain: every state change worth telling someone about is already an
audit entry, and ``showcase.notifications.events`` subscribes to each new entry, in its
transaction. Reminders come from a scheduled job that reads the review schedule.
"""

from flask import Flask


def init_notifications(app: Flask) -> None:
    """Subscribe to the audit chain, schedule the digest and reminders, count unread in the nav."""
    from showcase import jobs
    from showcase.coverage.days import refresh_all
    from showcase.evidence.jobs import purge_deleted_files
    from showcase.notifications import events, services
    from showcase.notifications.jobs import send_digests, send_reminders

    events.subscribe()
    jobs.schedule(
        app,
        "digest",
        send_digests,
        cron_setting="DIGEST_CRON",
        help="the daily digest email of each person who chose one",
    )
    jobs.schedule(
        app,
        "reminders",
        send_reminders,
        cron_setting="REMINDERS_CRON",
        help="reviews due in 7 days and reviews overdue",
    )
    # Not a notification: the job registry is filled here, above the domains it reaches.
    jobs.schedule(
        app,
        "purge",
        purge_deleted_files,
        cron_setting="PURGE_CRON",
        help="remove the files of evidence deleted longer than the retention period",
    )
    jobs.schedule(
        app,
        "coverage-days",
        refresh_all,
        cron_setting="COVERAGE_DAYS_CRON",
        help="store each apprenticeship's gateway units covered on the day just closed",
    )
    app.context_processor(services.navigation_context)
