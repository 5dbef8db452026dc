"""What beat runs, and how often."""

BEAT_SCHEDULE = {
    "expire-holds": {"task": "countdown.expire_holds", "schedule": 30.0},
    "deliver-queued-messages": {"task": "countdown.deliver_queued_messages", "schedule": 60.0},
}
