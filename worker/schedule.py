"""What beat runs, and how often."""

BEAT_SCHEDULE = {
    "expire-holds": {"task": "countdown.expire_holds", "schedule": 30.0},
    "deliver-queued-messages": {"task": "countdown.deliver_queued_messages", "schedule": 60.0},
    "charge-due-payments": {"task": "countdown.charge_due_payments", "schedule": 600.0},
}
