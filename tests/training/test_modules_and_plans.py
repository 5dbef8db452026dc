"""Training modules and plans: what operations keep, and the 14 CFR 460.51 rule a plan must meet."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.errors import ServiceError
from app.extensions import db
from app.models import ModuleKind, Role, SafetyTopic, TrainingModule, TrainingPlan
from app.training import modules, plans
from app.training.modules import ModuleData

S = SafetyTopic


@pytest.fixture
def ctx(app, db_session):
    with app.test_request_context("/"):
        yield


def module(name: str, topics=(), kind=ModuleKind.CLASSROOM, **kw) -> TrainingModule:
    return modules.create_module(ModuleData(
        kind=kind, duration_minutes=kw.pop("duration_minutes", 90), topics=set(topics),
        texts={"en": {"name": name, "description": f"About {name}."}}, **kw,
    ))


def errors(exc: ServiceError) -> dict[str | None, str]:
    return {e.field: str(e.message) for e in exc.errors}


def test_a_module_keeps_its_texts_per_language_and_falls_back_to_its_default(ctx):
    fire = modules.create_module(ModuleData(
        kind=ModuleKind.SCENARIO_REHEARSAL, duration_minutes=120, topics={S.FIRE, S.SMOKE},
        texts={"en": {"name": "Cabin fire", "description": "Find, fight, breathe."},
               "de": {"name": "Feuer in der Kabine", "description": ""}},
    ))
    db.session.expire_all()
    fire = db.session.get(TrainingModule, fire.id)
    assert fire.text("de") == "Feuer in der Kabine"
    assert fire.text("de", "description") == "Find, fight, breathe."  # none in German: the default
    assert fire.text("it") == "Cabin fire"
    assert fire.topics == ["smoke", "fire"]  # in the rule's order, whatever order they came in
    assert set(fire.texts) == {"en", "de"}


def test_a_module_with_every_problem_is_refused_with_each_at_its_field_and_nothing_kept(ctx):
    before = db.session.scalar(select(db.func.count(TrainingModule.id)))
    with pytest.raises(ServiceError) as refused:
        modules.create_module(ModuleData(
            kind=ModuleKind.CENTRIFUGE, duration_minutes=0, validity_days=0, pass_mark=80,
            texts={"en": {"name": "  ", "description": "x" * 4001}, "de": {"name": "N" * 121}},
            prerequisite_ids=[987654],
        ))
    assert set(errors(refused.value)) == {
        "name_en", "description_en", "name_de", "duration_minutes", "validity_days", "pass_mark", "prerequisites",
    }
    assert "default language" in errors(refused.value)["name_en"]
    assert db.session.scalar(select(db.func.count(TrainingModule.id))) == before


def test_an_exam_needs_a_pass_mark_and_only_an_exam_has_one(ctx):
    with pytest.raises(ServiceError) as refused:
        module("Final exam", kind=ModuleKind.EXAM)
    assert "pass mark" in errors(refused.value)["pass_mark"]
    exam = module("Final exam", kind=ModuleKind.EXAM, pass_mark=80, validity_days=365)
    assert (exam.pass_mark, exam.validity_days) == (80, 365)


def test_a_module_cannot_need_itself_even_through_others(ctx):
    briefing = module("Safety briefing")
    rehearsal = module("Rehearsal", prerequisite_ids=[briefing.id])
    exam = module("Exam", kind=ModuleKind.EXAM, pass_mark=70, prerequisite_ids=[rehearsal.id])
    assert [m.id for m in exam.prerequisites] == [rehearsal.id]
    data = ModuleData(kind=ModuleKind.CLASSROOM, duration_minutes=90,
                      texts={"en": {"name": "Safety briefing"}}, prerequisite_ids=[exam.id])
    with pytest.raises(ServiceError) as refused:
        modules.update_module(briefing, data)
    assert "itself" in errors(refused.value)["prerequisites"]
    db.session.refresh(briefing)
    assert briefing.prerequisites == []


def test_a_plan_that_misses_a_460_51_topic_is_not_published_and_says_which(ctx, make):
    ops = make.user(Role.OPERATIONS)
    plan = TrainingPlan(vehicle="New Shepard")
    db.session.add(plan)
    plans.add_module(plan, module("Fire and smoke", {S.FIRE, S.SMOKE}), 30)
    with pytest.raises(ServiceError) as refused:
        plans.publish_plan(plan, ops)
    message = str(refused.value.message)
    assert "Loss of cabin pressure" in message and "Emergency exit" in message and "Fire" not in message
    assert plan.published_at is None
    plans.add_module(plan, module("Decompression", {S.CABIN_PRESSURE}), 14)
    plans.add_module(plan, module("Egress drill", {S.EMERGENCY_EXIT}, ModuleKind.EGRESS_DRILL), 1)
    plans.publish_plan(plan, ops)
    assert plan.published_at is not None and plan.published_by_id == ops.id
    assert plans.missing_topics(plan) == []
    with pytest.raises(ServiceError):
        plans.add_module(plan, module("Suit fitting", kind=ModuleKind.SUIT_FITTING), 7)


def test_the_missing_topics_are_said_in_the_readers_language(app, db_session, make):
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        plan = TrainingPlan(vehicle="Kármán")
        db.session.add(plan)
        plans.add_module(plan, module("Fire", {S.FIRE, S.SMOKE, S.EMERGENCY_EXIT}), 30)
        with pytest.raises(ServiceError) as refused:
            plans.publish_plan(plan, make.user(Role.OPERATIONS))
        assert "Druckverlust in der Kabine" in str(refused.value.message)


def test_a_plan_item_is_checked(ctx):
    plan = TrainingPlan(vehicle="Kármán")
    db.session.add(plan)
    fire = module("Fire", {S.FIRE})
    with pytest.raises(ServiceError) as refused:
        plans.add_module(plan, fire, 366)
    assert errors(refused.value).keys() == {"deadline_days"}
    plans.add_module(plan, fire, 0)  # by launch day itself
    with pytest.raises(ServiceError) as refused:
        plans.add_module(plan, fire, 3)
    assert "already" in errors(refused.value)["module"]


def test_a_flight_follows_its_own_plan_else_its_vehicles_latest_and_deadlines_move_with_it(ctx, make):
    ops = make.user(Role.OPERATIONS)
    everything = [module("All of it", set(SafetyTopic))]
    flight = make.flight()
    other = make.flight(vehicle="Another rocket")
    assert plans.plan_for(flight) is None
    older, newer, own = (TrainingPlan(vehicle=flight.vehicle), TrainingPlan(vehicle=flight.vehicle),
                         TrainingPlan(flight_id=flight.id))
    db.session.add_all([older, newer, own])
    for plan, days in ((older, 10), (newer, 20), (own, 30)):
        plans.add_module(plan, everything[0], days)
    plans.publish_plan(older, ops)
    plans.publish_plan(newer, ops)
    assert plans.plan_for(other) is None  # another vehicle's flight follows none of these
    assert plans.plan_for(flight) == newer
    plans.publish_plan(own, ops)
    assert plans.plan_for(flight) == own
    [item] = own.items
    assert plans.deadline(item, flight) == flight.launch_at - timedelta(days=30)
    flight.launch_at += timedelta(days=6)
    assert plans.deadline(item, flight) == flight.launch_at - timedelta(days=30)


def test_the_plans_read_as_columns_are_the_plans_plans_for_flights_loads(ctx, make):
    """The tourist's page reads plans as columns (``progress.seats_with_plans``): for each flight the
    same plan as ``plans_for_flights`` (the flight's own, else its vehicle's newest published; a
    draft never), its items in the same order with the same modules, texts and prerequisites (in
    the same order), a flight without any plan None."""
    from app.timeutil import now_utc
    from app.training import progress

    older = make.training(vehicle="Capsule A")
    newer = make.training(vehicle="Capsule A")  # the vehicle's newest: the one its flights follow
    other = make.training(vehicle="Capsule B")
    tourist = make.user()
    on_a, own, on_b, bare = (make.booking(tourist, days=60 + i, vehicle=v).flight
                             for i, v in enumerate(("Capsule A", "Capsule A", "Capsule B", "Balloon")))
    both = module("Needs two", prerequisite_ids=[newer.classroom.id, newer.exam.id], validity_days=30,
                  duration_minutes=45)
    plan = TrainingPlan(flight_id=own.id)
    db.session.add(plan)
    db.session.flush()
    for m, days in ((newer.exam, 5), (both, 2), (newer.classroom, 9), (other.classroom, 5)):
        plans.add_module(plan, m, days)
    plans.publish_plan(plan, newer.ops)
    draft = TrainingPlan(vehicle="Capsule B")
    db.session.add(draft)
    db.session.flush()
    plans.add_module(draft, both, 1)
    db.session.flush()
    db.session.expire_all()

    def shape(p):
        if p is None:
            return None
        return (p.id, [(i.id, i.module_id, i.deadline_days, i.module.id, i.module.kind, i.module.duration_minutes,
                        i.module.validity_days, i.module.text("en"), i.module.text("de", "description"),
                        [(r.id, r.text("en"), r.text("fr")) for r in i.module.prerequisites]) for i in p.items])

    flights = [on_a, own, on_b, bare]
    expected = {f: shape(p) for f, p in progress.plans_for_flights(flights, prerequisites=True).items()}
    assert {f: shape(p) for f, p in progress.seats_with_plans(tourist.id, now_utc())[1].items()} == expected
    assert expected[own.id][0] == plan.id and expected[on_a.id][0] == newer.plan.id != older.plan.id
    assert expected[on_b.id][0] == other.plan.id and expected[bare.id] is None
    assert [len(i[-1]) for i in expected[own.id][1]] == [0, 1, 0, 2]  # by deadline, then as added


def test_seats_with_plans_are_holding_seats_and_their_flights_plans(ctx, make):
    """The tourist's training page reads the bookings and their plans in one statement
    (``progress.seats_with_plans``): the same bookings in the same order as
    ``bookings.holding_seats`` (confirmed, or held with the hold running; not an expired hold, a
    cancelled booking, nor a booking on a cancelled flight), the same columns, and the plan
    ``plans_for_flights`` gives each flight (its own, its vehicle's newest, none)."""
    from app.booking import bookings as booking_service
    from app.models import BookingState, FlightStatus
    from app.timeutil import now_utc
    from app.training import progress

    tourist = make.user()
    older = make.training(vehicle="Capsule A")
    newer = make.training(vehicle="Capsule A")
    other = make.training(vehicle="Capsule B")
    own = make.booking(tourist, days=80, vehicle="Capsule B")
    plan = TrainingPlan(flight_id=own.flight_id)
    db.session.add(plan)
    db.session.flush()
    plans.add_module(plan, other.classroom, 5)
    plans.publish_plan(plan, other.ops)
    make.booking(tourist, days=40, vehicle="Capsule A")
    make.booking(tourist, days=45, vehicle="Capsule B")
    make.booking(tourist, days=60, vehicle="Balloon")  # no plan
    make.booking(tourist, days=70, vehicle="Capsule A", confirmed=False)  # held, the hold running
    expired = make.booking(tourist, days=75, vehicle="Capsule A", confirmed=False)
    expired.hold_expires_at = now_utc() - timedelta(minutes=1)
    booking_service.transition(make.booking(tourist, days=90, vehicle="Capsule A"), BookingState.CANCELLED)
    make.booking(tourist, days=100, vehicle="Capsule B").flight.status = FlightStatus.CANCELLED
    make.booking(days=30, vehicle="Capsule A")  # someone else's
    db.session.flush()
    db.session.expire_all()

    now = now_utc()
    seats, outlines = progress.seats_with_plans(tourist.id, now)
    bookings = booking_service.holding_seats(tourist.id, now)
    assert [(s.id, s.reference, s.user_id, s.flight_id, s.state, s.flight.id, s.flight.name, s.flight.vehicle,
             s.flight.launch_at) for s in seats] == [
        (b.id, b.reference, b.user_id, b.flight_id, b.state, b.flight.id, b.flight.name, b.flight.vehicle,
         b.flight.launch_at) for b in bookings]
    assert len(seats) == 5 and expired.id not in {s.id for s in seats}

    def shape(p):
        return p and (p.id, [(i.id, i.module_id, i.deadline_days, i.module.id, i.module.text("en"),
                              [r.id for r in i.module.prerequisites]) for i in p.items])

    expected = progress.plans_for_flights([b.flight for b in bookings], prerequisites=True)
    assert {f: shape(p) for f, p in outlines.items()} == {f: shape(p) for f, p in expected.items()}
    assert {p.id for p in expected.values() if p} == {plan.id, newer.plan.id, other.plan.id} and older.plan.id
    assert progress.seats_with_plans(make.user().id, now) == ([], {})
