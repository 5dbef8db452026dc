"""What beat runs, and how often."""

BEAT_SCHEDULE = {
    "expire-holds": {"task": "countdown.expire_holds", "schedule": 30.0},
    "expire-training-offers": {"task": "countdown.expire_training_offers", "schedule": 60.0},
    # A published training plan whose bookings' reminders are not planned yet (the task sent after
    # publishing never ran: the broker was down, the worker died): planned now.
    "plan-training-reminders": {"task": "countdown.sync_training_reminders", "schedule": 300.0},
    # Likewise a material version of a document whose tourists are not all told yet.
    "notify-document-versions": {"task": "countdown.notify_document_version", "schedule": 300.0},
    # Reminders are rows with a send time; this claims the due ones and hands them to send tasks.
    "dispatch-due-messages": {"task": "countdown.dispatch_due_messages", "schedule": 10.0},
    # Desk conversations past their response target are escalated to operations, once per wait.
    "escalate-desk-breaches": {"task": "countdown.escalate_desk_breaches", "schedule": 120.0},
    "charge-due-payments": {"task": "countdown.charge_due_payments", "schedule": 600.0},
    # Upload files whose transaction never committed (the process was killed): deleted once an hour old.
    "remove-orphan-uploads": {"task": "countdown.remove_orphan_uploads", "schedule": 3600.0},
    # Ended log-in sessions and old throttle counts: kept a day, then deleted.
    "purge-sessions-and-attempts": {"task": "countdown.purge_sessions_and_attempts", "schedule": 3600.0},
    # Exports past their time expire; an export or a confirmed erasure whose task was lost is done.
    "privacy-sweep": {"task": "countdown.privacy_sweep", "schedule": 600.0},
    # Data past its retention period is removed, once a day, in batches.
    "apply-retention": {"task": "countdown.apply_retention", "schedule": 86400.0},
}
