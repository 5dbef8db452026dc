"""Training plans: the modules a vehicle's flights (or one flight) require, each by a deadline
counted back from launch. A plan is published only when it trains every topic 14 CFR 460.51
names (smoke, fire, loss of cabin pressure, emergency exit); a flight follows its own published
plan, or else the latest published plan of its vehicle."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from app import labels
from app.errors import ServiceError
from app.extensions import db
from app.messaging import reminders
from app.models import (
    Booking,
    BookingState,
    Flight,
    PlanItem,
    SafetyTopic,
    TrainingModule,
    TrainingPlan,
    User,
)
from app.timeutil import now_utc
from app.transactions import after_commit

#: The earliest deadline a plan can set, in days before launch (a year).
DEADLINE_MAX_DAYS = 365


def covered_topics(plan: TrainingPlan) -> set[SafetyTopic]:
    return {SafetyTopic(t) for item in plan.items for t in (item.module.topics or [])}


def missing_topics(plan: TrainingPlan) -> list[SafetyTopic]:
    """The 460.51 topics none of the plan's modules trains, in the rule's order."""
    covered = covered_topics(plan)
    return [topic for topic in SafetyTopic if topic not in covered]


def add_module(plan: TrainingPlan, module: TrainingModule, deadline_days: int) -> PlanItem:
    """Require ``module`` by ``deadline_days`` before launch (a draft only)."""
    if plan.published_at is not None:
        raise ServiceError(_("A published plan does not change: write a new one."))
    if module.archived_at is not None:
        raise ServiceError(_("This module is no longer offered."), "module")
    if not 0 <= deadline_days <= DEADLINE_MAX_DAYS:
        raise ServiceError(_("A deadline is from 0 to %(max)s days before launch.", max=DEADLINE_MAX_DAYS),
                           "deadline_days")
    if any(item.module_id == module.id for item in plan.items):
        raise ServiceError(_("This plan already requires this module."), "module")
    item = PlanItem(module=module, deadline_days=deadline_days)
    plan.items.append(item)
    db.session.flush()
    return item


def remove_module(plan: TrainingPlan, item: PlanItem) -> None:
    """Take a module out of a draft."""
    if plan.published_at is not None:
        raise ServiceError(_("A published plan does not change: write a new one."))
    plan.items.remove(item)
    db.session.flush()


def publish_plan(plan: TrainingPlan, actor: User) -> None:
    """Make the plan the one its vehicle's flights (or its flight) follow."""
    if plan.published_at is not None:
        raise ServiceError(_("This plan is already published."))
    missing = missing_topics(plan)
    if missing:
        raise ServiceError(_(
            "This plan does not train %(topics)s, which 14 CFR 460.51 requires. Add modules that do, "
            "then publish it.", topics=", ".join(str(labels.SAFETY_TOPICS[t]) for t in missing),
        ))
    deadlines = {item.module_id: item.deadline_days for item in plan.items}
    for item in plan.items:
        for needed in item.module.prerequisites:
            if deadlines.get(needed.id, -1) < item.deadline_days:
                raise ServiceError(_(
                    "%(module)s needs %(needed)s passed first: add it to the plan with the same deadline or "
                    "an earlier one.", module=item.module.text(actor.language), needed=needed.text(actor.language)))
    plan.published_at = now_utc()
    plan.published_by_id = actor.id
    db.session.flush()
    # The tourists it applies to now have training to book: their deadline reminders are planned,
    # by a task after the commit (a vehicle's plan may reach thousands of bookings).
    after_commit(SYNC_TASK, plan.id)


#: The Celery task that plans the reminders of the bookings a published plan applies to.
SYNC_TASK = "countdown.sync_training_reminders"
#: Bookings re-planned per transaction by that task.
SYNC_BATCH = 200


def plans_to_plan() -> list[int]:
    """Published plans whose bookings' reminders are not planned yet, oldest first."""
    return list(db.session.scalars(
        select(TrainingPlan.id).where(TrainingPlan.published_at.is_not(None), TrainingPlan.reminders_planned_at.is_(None))
        .order_by(TrainingPlan.published_at)))


def reminders_planned(plan_id: int) -> None:
    plan = db.session.get(TrainingPlan, plan_id)
    if plan is not None and plan.published_at is not None:
        plan.reminders_planned_at = now_utc()
        db.session.flush()


def sync_plan_reminders(plan_id: int, after_id: int = 0, limit: int | None = None) -> int | None:
    """Re-plan the reminders of the next ``limit`` confirmed bookings (by id, after ``after_id``) of
    the flights yet to launch that the published plan applies to. Returns the last id done, or None
    when none was left: the task calls it again, committing each batch, until then. Re-planning is
    idempotent, so a task that dies half-way is simply run again."""
    plan = db.session.get(TrainingPlan, plan_id)
    if plan is None or plan.published_at is None:
        return None
    where = (Flight.id == plan.flight_id) if plan.flight_id else (Flight.vehicle == plan.vehicle)
    bookings = db.session.scalars(
        select(Booking).join(Flight, Flight.id == Booking.flight_id)
        .where(where, Booking.state == BookingState.CONFIRMED, Flight.launch_at > now_utc(), Booking.id > after_id)
        .order_by(Booking.id).limit(limit or SYNC_BATCH)
    ).all()
    for booking in bookings:
        reminders.sync(booking)
    return bookings[-1].id if bookings else None


def plan_for(flight: Flight) -> TrainingPlan | None:
    """The published plan ``flight`` follows: its own, or else its vehicle's latest."""
    own = db.session.scalar(
        select(TrainingPlan).where(TrainingPlan.flight_id == flight.id, TrainingPlan.published_at.is_not(None))
        .order_by(TrainingPlan.published_at.desc(), TrainingPlan.id.desc()).limit(1)
    )
    if own is not None:
        return own
    return db.session.scalar(
        select(TrainingPlan).where(TrainingPlan.vehicle == flight.vehicle, TrainingPlan.published_at.is_not(None))
        .order_by(TrainingPlan.published_at.desc(), TrainingPlan.id.desc()).limit(1)
    )


def deadline(item: PlanItem, flight: Flight) -> datetime:
    """When ``item`` must be passed for ``flight``: it moves with the launch."""
    return flight.launch_at - timedelta(days=item.deadline_days)
