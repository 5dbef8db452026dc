"""Ended log-in sessions and old throttle counts do not pile up: beat deletes them after a day."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from app import throttle
from app.accounts import accounts
from app.extensions import db
from app.models import ThrottleHit, UserSession
from app.timeutil import now_utc
from worker.tasks import purge_sessions_and_attempts


def test_beat_deletes_what_opens_nothing_any_more(app, make):
    user = make.user()
    two_days_ago = now_utc() - timedelta(days=2)
    with time_machine.travel(two_days_ago):
        ended = accounts.open_session(user)
        accounts.end_session(ended)
        expired = accounts.open_session(user)  # never logged out, but its lifetime is long over
        db.session.add(ThrottleHit(key="login:someone@example.com", at=now_utc()))
    live = accounts.open_session(user)
    ended_now = accounts.open_session(user)
    accounts.end_session(ended_now)  # ended minutes ago: kept a day, for the record
    db.session.add(ThrottleHit(key="login:someone@example.com", at=now_utc()))
    db.session.flush()

    assert purge_sessions_and_attempts.run() == 3

    kept = {row.token_hash for row in db.session.scalars(select(UserSession))}
    assert kept == {accounts._token_hash(live), accounts._token_hash(ended_now)}
    assert accounts.session_user(user.id, live) == user
    assert len(db.session.scalars(select(ThrottleHit)).all()) == 1
    del expired
