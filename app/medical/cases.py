"""Medical review after the questionnaire: the review queue, assessments, decisions, how long a
clearance holds, the self-certification close to launch, and the status other staff see.

The questionnaire itself (opening a case, answering, submitting) is in
:mod:`app.medical.questionnaires`; the case's state machine and the access log are in
:mod:`app.medical.access`. A clearance must be valid on the launch date, taken as the
launch's date in UTC.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Callable, Iterable, Mapping, NamedTuple

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Integer, Row, and_, bindparam, case, func, inspect, or_, select, true
from sqlalchemy.dialects import postgresql as postgresql_types
from sqlalchemy.orm import aliased, defer
from sqlalchemy.sql.util import ClauseAdapter

from app.booking import bookings as booking_service
from app.errors import Problems, ServiceError
from app.extensions import db
from app.formats import on_day
from app.i18n import lazy_gettext as _l
from app.medical.access import (
    CHANGE_REPORTS,
    CORRECTIONS,
    DECIDED,
    TRANSITIONS,
    CaseTransitionNotAllowed,
    is_medical,
    transition,
)
from app.medical.clearances import (
    CLEARED_STATES,
    ENDED,
    covers,
    launch_date,
    launch_day,
    live_bookings,
    sync_reminders,
)
from app.messaging import reminders
from app.models import (
    Assessment,
    Booking,
    BookingState,
    CaseEvent,
    CaseState,
    EcgResult,
    Flight,
    MedicalCase,
    SelfCertification,
    User,
    VehicleLimits,
)
from app.models.types import utc_date
from app.timeutil import UTC, age_on, now_utc
from app.urls import external_url

S = CaseState
#: An assessment is recorded on a case waiting for review, or on a cleared one (a re-assessment,
#: which may lead to withdrawing the clearance).
ASSESSABLE = (S.SUBMITTED, S.CLEARED, S.RESTRICTED)
DECISIONS = (S.CLEARED, S.RESTRICTED, S.INFO_REQUESTED, S.NOT_CLEARED)
#: The states in which the tourist can tell the medical team about a change.
CHANGE_REPORTABLE = tuple(sorted({a for a, _b in CHANGE_REPORTS}, key=lambda st: st.value))
TEXT_MAX = 8000


def clearance_valid_days() -> int:
    return int(current_app.config["CLEARANCE_VALID_DAYS"])


def self_certification_days() -> int:
    return int(current_app.config["SELF_CERTIFICATION_DAYS"])


# -- cases -----------------------------------------------------------------------------------------

def _latest_ids():
    """Subquery: the id of each tourist's newest case (a new case is opened to renew)."""
    return select(func.max(MedicalCase.id)).group_by(MedicalCase.user_id)


def latest_case(user: User) -> MedicalCase | None:
    return db.session.scalar(
        select(MedicalCase).where(MedicalCase.user_id == user.id).order_by(MedicalCase.id.desc()).limit(1)
    )


#: The encrypted free text of a case, which lists and gates never show: not loaded (nor decrypted)
#: unless asked for.
_FREE_TEXT = (
    defer(MedicalCase.restrictions), defer(MedicalCase.info_request), defer(MedicalCase.info_response),
)


def latest_cases(user_ids: Iterable[int]) -> dict[int, Row]:
    """The newest case of each of these users, in one query; users without a case are left out.

    Each is a row of the columns a status reads (``id``, ``user_id``, ``state``, ``valid_until``,
    ``decided_at``), not a ``MedicalCase``: the journey, the roster and the readiness matrix ask
    for many at once, and an ORM object per case costs more than the query."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    statement = _latest_cases_statement(db.session.get_bind().dialect.name == "postgresql")
    return {c.user_id: c for c in db.session.execute(statement, {"ids": ids})}


@functools.cache
def _latest_cases_statement(postgresql: bool):
    """Built once: the journey, the lists and the gates all read the latest cases. The users'
    ids are bound once (the newest case of each of them), not twice. On PostgreSQL they go as
    one array (``= ANY(:ids)``): as a list, the statement's text changed with its length and
    psycopg parses one of more than 50 parameters again on every call (a readiness matrix binds
    80: 0.9 -> 0.5 ms a call in Python); SQLite takes the list."""
    if postgresql:
        of_users = MedicalCase.user_id == func.any(bindparam("ids", type_=postgresql_types.ARRAY(Integer)))
    else:
        of_users = MedicalCase.user_id.in_(bindparam("ids", expanding=True))
    return select(
        MedicalCase.id, MedicalCase.user_id, MedicalCase.state, MedicalCase.valid_until, MedicalCase.decided_at,
    ).where(MedicalCase.id.in_(_latest_ids().where(of_users)))


class LatestCase(NamedTuple):
    """A row of :func:`latest_cases`, made from :func:`latest_case_facts`."""
    id: int
    user_id: int
    state: CaseState
    valid_until: date | None
    decided_at: datetime | None


#: The columns of :func:`latest_cases` that :func:`latest_case_facts` asks.
_LATEST_COLUMNS = ("id", "state", "valid_until", "decided_at")


def latest_case_facts() -> dict[str, ColumnElement]:
    """:func:`latest_cases`' columns of the newest case of each booking's tourist, as SQL per booking
    (for the readiness engine's one statement of facts over ``bookings``): each None when the
    tourist has no case. Read them back with :func:`latest_case_of`."""
    def newest(column):
        return (select(column).where(MedicalCase.user_id == Booking.user_id).order_by(MedicalCase.id.desc())
                .limit(1).correlate(Booking).scalar_subquery())
    return {name: newest(getattr(MedicalCase, name)) for name in _LATEST_COLUMNS}


def newest_case_facts() -> tuple[dict[str, ColumnElement], list[tuple[Any, ColumnElement]]]:
    """:func:`latest_case_facts` read from the newest case joined once to each booking: its columns,
    and the outer join that brings it (``medical_cases`` aliased, on the id of the tourist's
    newest case: one look-up per booking, where a subquery per column looked the case up and
    sorted the tourist's cases four times). Read them back with :func:`latest_case_of`."""
    newest, other = aliased(MedicalCase, name="newest_case"), aliased(MedicalCase, name="other_case")
    newest_id = (select(func.max(other.id)).where(other.user_id == Booking.user_id)
                 .correlate(Booking).scalar_subquery())
    return ({name: getattr(newest, name) for name in _LATEST_COLUMNS}, [(newest, newest.id == newest_id)])


def latest_case_of(booking: Booking, facts: Mapping[str, Any]) -> LatestCase | None:
    """The row :func:`latest_cases` gives for ``booking``'s tourist, from :func:`latest_case_facts`."""
    if facts["id"] is None:
        return None
    return LatestCase(facts["id"], booking.user_id, facts["state"], facts["valid_until"], facts["decided_at"])


# -- the review queue ------------------------------------------------------------------------------

class QueueGroup(str, enum.Enum):
    REVIEW = "review"        # submitted, waiting for review
    INFO = "info"            # more information requested from the tourist
    EXPIRING = "expiring"    # cleared, but the clearance ends before a launch


GROUP_LABELS = {
    QueueGroup.REVIEW: _l("Waiting for review"),
    QueueGroup.INFO: _l("Information requested"),
    QueueGroup.EXPIRING: _l("Clearance ends before launch"),
}
QUEUE_PAGE_SIZE = 25


@dataclass(frozen=True)
class QueueRow:
    case_id: int
    tourist_name: str
    group: QueueGroup
    #: For an expiring clearance: the day it ends.
    valid_until: date | None
    #: Waiting since the questionnaire was submitted (or, never submitted, the case opened).
    since: datetime
    #: The launch the row is about: the earliest one of the tourist's live bookings (for an
    #: expiring clearance, the earliest one it does not cover); None without a live booking.
    launch_at: datetime | None
    vehicle: str | None
    flight_name: str | None
    booking_reference: str | None


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    group: QueueGroup | None
    counts: dict[QueueGroup, int]
    page: int
    per_page: int

    @property
    def total(self) -> int:
        return self.counts[self.group] if self.group else sum(self.counts.values())

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)


def _relevant_flight(case):
    """SQL, to join a booking's flight on: the live bookings that matter to a case are all of its
    tourist's for a case under review, and those launching after the clearance ends for a cleared
    one (``case``: the case's columns, of the table or of a subquery)."""
    return and_(
        Flight.id == Booking.flight_id, Flight.status.notin_(ENDED),
        or_(case.state.notin_(CLEARED_STATES), case.valid_until.is_(None),
            utc_date(Flight.launch_at) > case.valid_until),
    )


@functools.cache
def _queue_statement(grouped: bool, postgresql: bool = False):
    """The queue's counts, one page of its cases and the flight each is about, in one statement
    built once (bound: ``now``, ``limit``, ``offset`` and, ``grouped``, ``group``).

    A case is in the queue when it is its tourist's newest and is waiting for review, waiting for
    information, or cleared with a live booking launching after the clearance ends. The CTE
    ranks each such case once, by the soonest launch of its relevant live bookings (one outer
    join and a grouping, not a subquery per case), and both the counts and the page read it. The
    page's cases are joined to their tourists and bookings only after the page is cut: joining
    every queued case first would read the whole users table. There is one row per relevant
    booking of a case (soonest first; a case without any has one row of NULLs), and a single row
    of NULLs but the counts when the page is empty.

    A case is its tourist's newest when no newer one of theirs exists (an anti-join: finding
    every tourist's newest id first, grouped, cost PostgreSQL more). On PostgreSQL each of the
    page's cases looks up only the booking it is about, by its tourist (a lateral join of the
    soonest relevant booking: joined, PostgreSQL hashed every live booking for the page's 25
    tourists); the reader keeps a case's first row with a flight, which is that booking."""
    now = bindparam("now")
    newer = aliased(MedicalCase, name="newer")
    group_col = case(
        (MedicalCase.state == S.SUBMITTED, QueueGroup.REVIEW.value),
        (MedicalCase.state == S.INFO_REQUESTED, QueueGroup.INFO.value),
        else_=QueueGroup.EXPIRING.value,
    ).label("queue_group")
    waiting = MedicalCase.state.in_([S.SUBMITTED, S.INFO_REQUESTED])
    queued = (
        select(MedicalCase.id, MedicalCase.user_id, MedicalCase.state, MedicalCase.valid_until, group_col,
               func.min(Flight.launch_at).label("first_launch"),
               func.coalesce(MedicalCase.submitted_at, MedicalCase.created_at).label("since"))
        .outerjoin(Booking, and_(Booking.user_id == MedicalCase.user_id, booking_service.taking_seat_clause(now)))
        .outerjoin(Flight, _relevant_flight(MedicalCase))
        .where(~select(newer.id).where(newer.user_id == MedicalCase.user_id, newer.id > MedicalCase.id).exists(),
               or_(waiting, MedicalCase.state.in_(CLEARED_STATES)))
        .group_by(MedicalCase.id)
        .having(or_(waiting, func.count(Flight.id) > 0))
        .cte("queued")
    )
    counts = select(*(func.count(case((queued.c.queue_group == g.value, 1))).label(f"n_{g.value}")
                      for g in QueueGroup)).subquery("counts")
    order = (queued.c.first_launch.asc().nulls_last(), queued.c.since, queued.c.id)
    page = select(queued).order_by(*order).limit(bindparam("limit")).offset(bindparam("offset"))
    if grouped:
        page = page.where(queued.c.queue_group == bindparam("group"))
    page = page.subquery("page")
    cases = (select(*counts.c, page.c.id, page.c.queue_group, page.c.valid_until, page.c.since, page.c.first_launch,
                    User.name.label("tourist_name"))
             .select_from(counts).outerjoin(page, true()).outerjoin(User, User.id == page.c.user_id))
    if postgresql:
        seats = (
            select(Flight.launch_at, Flight.vehicle, Flight.name.label("flight_name"), Booking.reference,
                   Booking.id.label("booking_id"))
            .select_from(Booking).join(Flight, _relevant_flight(page.c))
            .where(Booking.user_id == page.c.user_id, booking_service.taking_seat_clause(now))
            .order_by(Flight.launch_at, Booking.id).limit(1)
            .lateral("seats")
        )
        return (
            cases.add_columns(seats.c.launch_at, seats.c.vehicle, seats.c.flight_name, seats.c.reference)
            .outerjoin(seats, true())
            .order_by(page.c.first_launch.asc().nulls_last(), page.c.since, page.c.id,
                      seats.c.launch_at.asc().nulls_last(), seats.c.booking_id)
        )
    return (
        cases.add_columns(Flight.launch_at, Flight.vehicle, Flight.name.label("flight_name"), Booking.reference)
        .outerjoin(Booking, and_(Booking.user_id == page.c.user_id, booking_service.taking_seat_clause(now)))
        .outerjoin(Flight, _relevant_flight(page.c))
        .order_by(page.c.first_launch.asc().nulls_last(), page.c.since, page.c.id,
                  Flight.launch_at.asc().nulls_last(), Booking.id)
    )


def queue(group: QueueGroup | None = None, page: int = 1, per_page: int = QUEUE_PAGE_SIZE,
          now: datetime | None = None) -> QueuePage:
    """One page of the review queue, soonest launch first (tourists without a live booking last),
    and how many cases each group holds: one query whatever the size, two for a page past the
    last."""
    now = now or now_utc()
    values = {"now": now, "limit": per_page}
    if group is not None:
        values["group"] = group.value
    statement = _queue_statement(group is not None, db.session.get_bind().dialect.name == "postgresql")

    def fetch(number: int):
        return db.session.execute(statement, {**values, "offset": (number - 1) * per_page}).all()

    page = max(page, 1)
    rows = fetch(page)
    counts = {g: getattr(rows[0], f"n_{g.value}") for g in QueueGroup}
    result = QueuePage([], group, counts, page, per_page)
    if (page - 1) * per_page >= result.total and page != result.pages:
        page = result.pages
        rows = fetch(page)
    # Each case comes with one row per relevant booking, the one the row is about first (a
    # booking whose flight does not match has no flight: skipped).
    cases: dict[int, QueueRow] = {}
    for r in rows:
        if r.id is None:
            continue
        if r.id not in cases or (cases[r.id].launch_at is None and r.launch_at is not None):
            flight = (r.launch_at, r.vehicle, r.flight_name, r.reference) if r.launch_at else (None,) * 4
            cases[r.id] = QueueRow(r.id, r.tourist_name, QueueGroup(r.queue_group),
                                   r.valid_until, r.since, *flight)
    return QueuePage(list(cases.values()), group, counts, page, per_page)


# -- every tourist with a booking -----------------------------------------------------------------

TOURISTS_PAGE_SIZE = 50
SEARCH_MAX = 200
#: Beyond this a page number is surely a typing error: it is taken as the last page.
PAGE_MAX = 1_000_000


class TouristRow(NamedTuple):
    """A tuple, so that the template unpacks it instead of looking each field up (50 rows a page)."""
    name: str
    email: str
    first_launch: datetime
    status: ClearanceStatus


@dataclass(frozen=True)
class TouristsPage:
    rows: list[TouristRow]
    total: int
    page: int
    per_page: int
    q: str
    status: Clearance | None

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)


def _tourists_status_column(cases, last_launch):
    """SQL: the medical status of the tourist's newest case (``cases``: its columns, of the table
    or of a subquery) for their live bookings (a clearance that ends before any of their launches
    is "ends before launch")."""
    return case(
        (cases.id.is_(None), Clearance.NOT_STARTED.value),
        (cases.state == S.ANSWERING, Clearance.ANSWERING.value),
        (cases.state == S.SUBMITTED, Clearance.WAITING_FOR_REVIEW.value),
        (cases.state == S.INFO_REQUESTED, Clearance.INFO_REQUESTED.value),
        (cases.state == S.NOT_CLEARED, Clearance.NOT_CLEARED.value),
        (or_(cases.valid_until.is_(None), cases.valid_until < utc_date(last_launch)),
         Clearance.EXPIRES_BEFORE_LAUNCH.value),
        (cases.state == S.RESTRICTED, Clearance.RESTRICTED.value),
        else_=Clearance.CLEARED.value,
    )


def tourists(q: str = "", status: Clearance | None = None, page: int = 1, per_page: int = TOURISTS_PAGE_SIZE,
             now: datetime | None = None) -> TouristsPage:
    """Every tourist with a live booking (a seat on a flight still to fly), with their soonest
    launch and medical status, searched by name or email and filtered by status; the soonest
    launch first. One query per page (the total rides along), and one more only for a page past
    the last."""
    now = now or now_utc()
    q = " ".join((q or "").replace("\x00", "").split())[:SEARCH_MAX]
    page = min(max(page, 1), PAGE_MAX)
    terms = q.split(" ") if q else []
    if terms or status is not None:
        listing, count = _tourists_statements(len(terms), status is not None)
    else:
        listing, count = _tourists_by_launch_statement(), None
    values: dict[str, Any] = {"now": now, "limit": per_page}
    # Each word is matched as it is typed: "%", "_" and the escape character match themselves
    # (what ``icontains(..., autoescape=True)`` does, for a bound value).
    for i, term in enumerate(terms):
        values[f"term_{i}"] = term.replace("/", "//").replace("%", "/%").replace("_", "/_")
    if status is not None:
        values["status"] = status.value

    def fetch(number: int) -> tuple[list[Row], int | None]:
        """The page's rows and the total, which rides along on each row (the walk by launch
        answers a single row of NULLs but the total when the page is empty)."""
        rows = db.session.execute(listing, {**values, "offset": (number - 1) * per_page}).all()
        return [r for r in rows if r.user_id is not None], rows[0].total if rows else None

    rows, total = fetch(page)
    if not rows and page > 1:
        total = db.session.scalar(count, values) if count is not None else total
        page = max((total + per_page - 1) // per_page, 1)
        rows, total = fetch(page) if total else ([], 0)
    return TouristsPage(
        rows=[TouristRow(r.name, r.email, r.first_launch, ClearanceStatus(
            Clearance(r.medical_status), r.valid_until if r.state in CLEARED_STATES else None, r.case_id,
            change_under_review=r.state is S.SUBMITTED and r.decided_at is not None,
        )) for r in rows],
        total=total or 0, page=page, per_page=per_page, q=q, status=status,
    )


def _page_cut(statement):
    """``statement`` limited to a page. LIMIT and OFFSET are written into the SQL rather than
    bound: PostgreSQL plans a bound LIMIT for a tenth of the rows and so plans the statement again
    on every call (about 1 ms for the lists' statements), where a written one lets it keep one
    plan per page number."""
    return (statement.limit(bindparam("limit", type_=Integer, literal_execute=True))
            .offset(bindparam("offset", type_=Integer, literal_execute=True)))


def _live_seat(now):
    """SQL: ``Booking`` holds a seat on a ``Flight`` still to fly."""
    return and_(booking_service.taking_seat_clause(now), Flight.status.notin_(ENDED))


def _sooner_seat(now):
    """SQL EXISTS: the tourist of ``Booking`` (on ``Flight``) holds another seat on a flight still to
    fly that launches sooner, or at the same moment and was booked first. Without one, the
    booking is its tourist's soonest."""
    booking, flight = aliased(Booking, name="sooner"), aliased(Flight, name="sooner_flight")
    seat = ClauseAdapter(inspect(booking).selectable).traverse(booking_service.taking_seat_clause(now))
    return (
        select(booking.id).join(flight, flight.id == booking.flight_id)
        .where(booking.user_id == Booking.user_id, seat, flight.status.notin_(ENDED),
               or_(flight.launch_at < Flight.launch_at,
                   and_(flight.launch_at == Flight.launch_at, booking.id < Booking.id)))
        .exists()
    )


@functools.cache
def _tourists_statements(terms: int, by_status: bool):
    """The list searched or filtered by status and its count, built once per shape (how many
    search words, filtered or not), run with bound values: ``now``, ``term_0``..., ``status``,
    ``limit`` and ``offset``. Every tourist's soonest and last launch and newest case are worked
    out (the filter reads the status), then the page is cut; the total rides along as a window
    count."""
    now = bindparam("now")
    live = (
        select(Booking.user_id.label("user_id"), func.min(Flight.launch_at).label("first_launch"),
               func.max(Flight.launch_at).label("last_launch"))
        .join(Flight, Flight.id == Booking.flight_id)
        .where(_live_seat(now))
        .group_by(Booking.user_id).subquery()
    )
    newest = select(MedicalCase.user_id.label("user_id"), func.max(MedicalCase.id).label("case_id")) \
        .group_by(MedicalCase.user_id).subquery()
    status_col = _tourists_status_column(MedicalCase, live.c.last_launch).label("medical_status")
    base = (
        select(User.id.label("user_id"), User.name, User.email, live.c.first_launch, status_col,
               MedicalCase.id.label("case_id"), MedicalCase.valid_until, MedicalCase.state, MedicalCase.decided_at)
        .select_from(User).join(live, live.c.user_id == User.id)
        .outerjoin(newest, newest.c.user_id == User.id)
        .outerjoin(MedicalCase, MedicalCase.id == newest.c.case_id)
    )
    for i in range(terms):
        term = bindparam(f"term_{i}")
        base = base.where(or_(User.name.icontains(term, escape="/"), User.email.icontains(term, escape="/")))
    if by_status:
        base = base.where(status_col == bindparam("status"))
    listed = base.subquery()
    listing = _page_cut(
        select(listed, func.count().over().label("total"))
        .order_by(listed.c.first_launch, listed.c.name, listed.c.user_id)
    )
    return listing, select(func.count()).select_from(listed)


@functools.cache
def _tourists_by_launch_statement():
    """The whole list (no search, no filter: what staff open), built once; bound: ``now``,
    ``limit`` and ``offset``.

    It walks the flights in launch order (their index) and each flight's live bookings, keeping
    a booking only when it is its tourist's soonest (no live booking of theirs launches earlier,
    or at the same moment and booked first), and stops once the page is full: a page reads its
    tourists and a few flights, not every booking (working out every tourist's soonest launch to
    sort them cost PostgreSQL about 5 ms a page). Only the page's tourists are joined to their
    newest case and last launch; the total counts the tourists with a live booking."""
    now = bindparam("now")
    page = _page_cut(
        select(User.id.label("user_id"), User.name, User.email, Flight.launch_at.label("first_launch"))
        .select_from(Flight).join(Booking, Booking.flight_id == Flight.id).join(User, User.id == Booking.user_id)
        .where(_live_seat(now), ~_sooner_seat(now))
        .order_by(Flight.launch_at, User.name, User.id)
    ).subquery("page")
    total = (select(func.count(Booking.user_id.distinct()).label("total"))
             .join(Flight, Flight.id == Booking.flight_id).where(_live_seat(now)).subquery("total"))
    newer = aliased(MedicalCase, name="newer")
    newest = select(func.max(newer.id)).where(newer.user_id == page.c.user_id).scalar_subquery()
    last_launch = (select(func.max(Flight.launch_at)).select_from(Booking).join(Flight, Flight.id == Booking.flight_id)
                   .where(Booking.user_id == page.c.user_id, _live_seat(now)).scalar_subquery())
    return (
        select(total.c.total, *page.c, _tourists_status_column(MedicalCase, last_launch).label("medical_status"),
               MedicalCase.id.label("case_id"), MedicalCase.valid_until, MedicalCase.state, MedicalCase.decided_at)
        .select_from(total).outerjoin(page, true()).outerjoin(MedicalCase, MedicalCase.id == newest)
        .order_by(page.c.first_launch, page.c.name, page.c.user_id)
    )


# -- assessments -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Range:
    low: Decimal
    high: Decimal
    unit: str
    message: Any           # lazy string with %(min)s and %(max)s
    whole: bool = False    # a whole number (pressures, pulse)
    required: bool = True


#: Plausible values; anything outside is a typing error, refused at its field.
RANGES: dict[str, Range] = {
    "systolic_mmhg": Range(Decimal(70), Decimal(250), "mmHg", _l(
        "Enter a systolic pressure between %(min)s and %(max)s mmHg."), whole=True),
    "diastolic_mmhg": Range(Decimal(40), Decimal(150), "mmHg", _l(
        "Enter a diastolic pressure between %(min)s and %(max)s mmHg."), whole=True),
    "heart_rate_bpm": Range(Decimal(30), Decimal(220), "bpm", _l(
        "Enter a heart rate between %(min)s and %(max)s beats per minute."), whole=True),
    "height_cm": Range(Decimal(100), Decimal(250), "cm", _l(
        "Enter a height between %(min)s and %(max)s cm.")),
    "weight_kg": Range(Decimal(30), Decimal(250), "kg", _l(
        "Enter a weight between %(min)s and %(max)s kg.")),
    "centrifuge_g": Range(Decimal(0), Decimal(15), "g", _l(
        "Enter a centrifuge tolerance between %(min)s and %(max)s g, or leave it empty."), required=False),
}


def _number(data: dict, name: str) -> Decimal | int | None:
    spec = RANGES[name]
    raw = data.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if spec.required:
            raise ServiceError(str(spec.message % {"min": spec.low, "max": spec.high}), name)
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not spec.low <= value <= spec.high or (spec.whole and value != value.to_integral_value()):
        raise ServiceError(str(spec.message % {"min": spec.low, "max": spec.high}), name)
    return int(value) if spec.whole else value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def assessment_values(data: dict[str, Any]) -> tuple[dict[str, Any], list[ServiceError]]:
    """The measurements of an assessment read and checked, and every problem with them, each at
    its own field (a diastolic pressure "abc" is refused at the diastolic field, whatever else is
    wrong)."""
    problems = Problems()
    values: dict[str, Any] = {}
    for name in RANGES:
        try:
            values[name] = _number(data, name)
        except ServiceError as exc:
            values[name] = None
            problems.extend(exc)
    if values["systolic_mmhg"] is not None and values["diastolic_mmhg"] is not None \
            and values["systolic_mmhg"] <= values["diastolic_mmhg"]:
        problems.add(_("The diastolic pressure must be lower than the systolic one."), "diastolic_mmhg")
    try:
        values["ecg_result"] = EcgResult(data.get("ecg_result") or "")
    except ValueError:
        problems.add(_("Choose the ECG result."), "ecg_result")
    for name in ("other_tests", "notes"):
        try:
            values[name] = _text(data.get(name), name)
        except ServiceError as exc:
            problems.extend(exc)
    return values, problems.errors


def _text(value: Any, name: str) -> str:
    text = (value or "").strip()
    if len(text) > TEXT_MAX:
        raise ServiceError(_("Keep this under %(max)s characters.", max=TEXT_MAX), name)
    return text


def flags_for(user: User, height_cm: Decimal | float | None, weight_kg: Decimal | float | None,
              bookings: list[Booking] | None = None) -> list[str]:
    """What falls outside the physical limits of the vehicles the tourist is booked on, as codes
    ``<what>:<vehicle>:<limit>`` (see :func:`describe_flag`). Age is counted on each launch date."""
    bookings = live_bookings(user.id) if bookings is None else bookings
    vehicles = {b.flight.vehicle for b in bookings}
    if not vehicles:
        return []
    limits = {v.vehicle: v for v in db.session.scalars(select(VehicleLimits).where(VehicleLimits.vehicle.in_(vehicles)))}
    flags: list[str] = []

    def add(flag: str) -> None:
        if flag not in flags:
            flags.append(flag)

    for booking in bookings:
        vehicle = booking.flight.vehicle
        lim = limits.get(vehicle)
        if lim is None:
            continue
        if user.date_of_birth and age_on(user.date_of_birth, launch_date(booking.flight)) < lim.min_age:
            add(f"age_below_min:{vehicle}:{lim.min_age}")
        for what, value, low, high in (
            ("height", height_cm, lim.min_height_cm, lim.max_height_cm),
            ("weight", weight_kg, lim.min_weight_kg, lim.max_weight_kg),
        ):
            if value is None:
                continue
            if low is not None and Decimal(str(value)) < Decimal(str(low)):
                add(f"{what}_below_min:{vehicle}:{plain_number(low)}")
            if high is not None and Decimal(str(value)) > Decimal(str(high)):
                add(f"{what}_above_max:{vehicle}:{plain_number(high)}")
    return flags


_FLAG_TEXTS = {
    "age_below_min": _l("Younger than %(limit)s on the launch date: the minimum age for %(vehicle)s."),
    "height_below_min": _l("Shorter than %(limit)s cm, the minimum height for %(vehicle)s."),
    "height_above_max": _l("Taller than %(limit)s cm, the maximum height for %(vehicle)s."),
    "weight_below_min": _l("Lighter than %(limit)s kg, the minimum weight for %(vehicle)s."),
    "weight_above_max": _l("Heavier than %(limit)s kg, the maximum weight for %(vehicle)s."),
}


def plain_number(value) -> str:
    """A measurement without trailing zeros: 152, 110.5 ("" for none)."""
    if value is None:
        return ""
    return f"{Decimal(str(value)).normalize():f}"


def describe_flag(flag: str) -> str:
    code, _sep, rest = flag.partition(":")
    vehicle, _sep, limit = rest.rpartition(":")
    text = _FLAG_TEXTS.get(code)
    return str(text % {"limit": limit, "vehicle": vehicle}) if text is not None else flag


def record_assessment(case: MedicalCase, actor: User, data: dict[str, Any]) -> Assessment:
    """Record what medical staff measured and found. Implausible values are refused at their field
    and nothing is stored; values outside the vehicles' limits are stored with flags."""
    if not is_medical(actor):
        raise ServiceError(_("Only medical staff record assessments."))
    if case.state not in ASSESSABLE:
        raise ServiceError(_("An assessment is recorded on a questionnaire waiting for review, or on a "
                             "clearance."))
    values, errors = assessment_values(data)
    Problems(errors).raise_any()
    assessment = Assessment(
        case_id=case.id, recorded_by_id=actor.id,
        flags=flags_for(case.user, values["height_cm"], values["weight_kg"]), **values,
    )
    db.session.add(assessment)
    db.session.flush()
    return assessment


def assessments_of(case: MedicalCase) -> list[Assessment]:
    return list(db.session.scalars(
        select(Assessment).where(Assessment.case_id == case.id).order_by(Assessment.id.desc())
    ))


# -- decisions -------------------------------------------------------------------------------------

def decide(case: MedicalCase, actor: User, decision: CaseState | str, *, restrictions: str = "",
           message: str = "", reason: str = "", valid_days: int | None = None,
           now: datetime | None = None) -> None:
    """Clear (with stated restrictions or without), ask the tourist for more information, or not
    clear. Goes through the case's state machine, which writes the event row."""
    _decide(case, actor, decision, "transition", restrictions=restrictions, message=message, reason=reason,
            valid_days=valid_days, now=now)


def correct(case: MedicalCase, actor: User, decision: CaseState | str, *, reason: str, restrictions: str = "",
            message: str = "", valid_days: int | None = None, now: datetime | None = None) -> None:
    """Correct the decision of a decided case without a new questionnaire: extend a clearance (its
    days counted from today), change its restrictions, move cleared <-> restricted, ask a cleared
    tourist for more information, or reconsider a refusal. The correction is a new event row with
    its reason; the earlier decision stays in the history. The tourist is told as by a decision."""
    if is_medical(actor) and case.state not in DECIDED:
        raise ServiceError(_("Only a decided case can be corrected; decide on this one below."), "decision")
    _decide(case, actor, decision, "correction", restrictions=restrictions, message=message, reason=reason,
            valid_days=valid_days, now=now, correction_reason=reason)


def decision_problems(case: MedicalCase, decision: CaseState, *, correcting: bool, restrictions: Any,
                      message: Any, reason: Any, valid_days: int | None,
                      skip: frozenset[str] = frozenset()) -> tuple[str, str, str, int]:
    """Every reason a decision (or a correction) cannot be taken as given, raised together, each at
    its field: a missing assessment, restrictions, message or reason, a validity out of range, a
    text too long. Fields in ``skip`` (the form could not read them) are not checked. Returns the
    cleaned texts and the days of validity."""
    problems = Problems()
    texts = {}
    for name, value in (("restrictions", restrictions), ("message", message), ("reason", reason)):
        try:
            texts[name] = _text(value, name)
        except ServiceError as exc:
            problems.extend(exc)
            texts[name] = ""
    days = clearance_valid_days() if valid_days is None else valid_days
    if correcting and not texts["reason"] and "reason" not in skip:
        problems.add(_("Give the reason for the correction, for the medical record."), "reason")
    if decision in CLEARED_STATES:
        has_assessment = db.session.scalar(select(Assessment.id).where(Assessment.case_id == case.id).limit(1))
        if has_assessment is None:
            problems.add(_("Record an assessment before clearing."), "decision")
        if decision is S.RESTRICTED and not texts["restrictions"] and "restrictions" not in skip:
            problems.add(_("State the restrictions the tourist flies with."), "restrictions")
        if "valid_days" not in skip and not 1 <= days <= clearance_valid_days():
            problems.add(_("A clearance holds between 1 and %(max)s days.", max=clearance_valid_days()),
                         "valid_days")
    elif decision is S.INFO_REQUESTED:
        if not texts["message"] and "message" not in skip:
            problems.add(_("Write what the tourist should tell you or send."), "message")
    elif not texts["reason"] and "reason" not in skip:
        problems.add(_("Give the reason, for the medical record."), "reason")
    problems.raise_any()
    return texts["restrictions"], texts["message"], texts["reason"], days


def _decide(case: MedicalCase, actor: User, decision: CaseState | str, kind: str, *, restrictions: str,
            message: str, reason: str, valid_days: int | None, now: datetime | None,
            correction_reason: str | None = None) -> None:
    now = now or now_utc()
    if not is_medical(actor):
        raise ServiceError(_("Only medical staff decide on a clearance."))
    try:
        decision = CaseState(decision)
    except ValueError:
        decision = None
    if decision not in DECISIONS:
        raise ServiceError(_("Choose a decision."), "decision")
    correcting = kind == "correction"
    if (case.state, decision) not in (CORRECTIONS if correcting else TRANSITIONS):
        raise CaseTransitionNotAllowed(case.state, decision)
    restrictions, message, reason, days = decision_problems(
        case, decision, correcting=correcting, restrictions=restrictions, message=message, reason=reason,
        valid_days=valid_days,
    )
    extra = {"kind": kind, "reason": reason if correcting else None}
    if decision in CLEARED_STATES:
        valid_until = now.astimezone(UTC).date() + timedelta(days=days)
        transition(case, decision, actor=actor, note=restrictions if decision is S.RESTRICTED else "",
                   valid_until=valid_until, **extra)
        case.valid_until = valid_until
        case.restrictions = restrictions if decision is S.RESTRICTED else ""
    elif decision is S.INFO_REQUESTED:
        transition(case, decision, actor=actor, note=message, **extra)
        case.info_request, case.info_response = message, ""
        if correcting:  # a clearance asked about no longer holds until the answer is reviewed
            case.valid_until, case.restrictions = None, ""
    else:
        transition(case, decision, actor=actor, note="" if correcting else reason, **extra)
        case.valid_until, case.restrictions = None, ""
    if decision is not S.INFO_REQUESTED:
        case.decided_at, case.decided_by_id = now, actor.id
    db.session.flush()
    if decision is S.INFO_REQUESTED:
        # one message per request: the event row that asked is the occurrence
        event_id = db.session.scalar(select(func.max(CaseEvent.id)).where(CaseEvent.case_id == case.id))
        reminders.notify("medical_info_requested", case, occurrence=str(event_id), now=now)
    sync_reminders(case, now)


def report_change(case: MedicalCase, actor: User, details: str, now: datetime | None = None) -> CaseEvent:
    """The tourist tells the medical team something has changed (from their medical page, or
    in the self-certification before launch): the report goes into the case's history (encrypted,
    as all medical free text), and a clearance goes back to review, into the review queue. A case
    already waiting for review keeps waiting, with the report added."""
    now = now or now_utc()
    if actor.id != case.user_id:
        raise ServiceError(_("Only the tourist reports a change in their own health."))
    details = _text(details, "details")
    if not details:
        raise ServiceError(_("Tell the medical team what has changed."), "details")
    if case.state not in CHANGE_REPORTABLE:
        raise ServiceError(_("Your case is not waiting for a change report now; see your status above."))
    event = transition(case, S.SUBMITTED, actor=actor, note=details, kind="change_report")
    case.submitted_at = now
    sync_reminders(case, now)
    return event


# -- self-certification ----------------------------------------------------------------------------

def self_certification_opens(booking: Booking) -> datetime:
    return booking.flight.launch_at - timedelta(days=self_certification_days())


def _standing_certification():
    """A self-certification counts while it says nothing changed and was given after the decision
    that cleared its case: one that reported a change, or that came before a new clearance (after
    the change went back to review), has to be given again."""
    return and_(
        SelfCertification.changed.is_(False), SelfCertification.case_id == MedicalCase.id,
        MedicalCase.decided_at.is_not(None), SelfCertification.created_at >= MedicalCase.decided_at,
    )


def self_certified(booking: Booking) -> bool:
    return db.session.scalar(
        select(SelfCertification.id).join(MedicalCase, MedicalCase.id == SelfCertification.case_id)
        .where(SelfCertification.booking_id == booking.id, _standing_certification()).limit(1)
    ) is not None


def change_reported(booking: Booking) -> bool:
    """The tourist reported a change for this booking, and no decision has been made since."""
    return db.session.scalar(
        select(SelfCertification.id).join(MedicalCase, MedicalCase.id == SelfCertification.case_id)
        .where(SelfCertification.booking_id == booking.id, SelfCertification.changed.is_(True),
               or_(MedicalCase.decided_at.is_(None), SelfCertification.created_at >= MedicalCase.decided_at))
        .limit(1)
    ) is not None


def self_certification_pending(booking: Booking, case: MedicalCase | None = None) -> bool:
    """The tourist will have to confirm, or must now: a confirmed seat, a clearance that covers the
    launch, and no self-certification for this booking yet (whatever the date)."""
    if booking.state is not BookingState.CONFIRMED or booking.flight.status in ENDED:
        return False
    case = case if case is not None else latest_case(booking.user)
    return covers(case, launch_date(booking.flight)) and not self_certified(booking)


def self_certification_due(booking: Booking, now: datetime | None = None,
                           case: MedicalCase | None = None) -> bool:
    """Within ``SELF_CERTIFICATION_DAYS`` before launch, cleared, and not done yet."""
    now = now or now_utc()
    return (self_certification_opens(booking) <= now < booking.flight.launch_at
            and self_certification_pending(booking, case))


def self_certify(booking: Booking, actor: User, changed: bool, details: str = "",
                 now: datetime | None = None) -> SelfCertification:
    """The tourist says nothing has changed, or what has; a change sends the case back to review."""
    now = now or now_utc()
    if actor.id != booking.user_id:
        raise ServiceError(_("Only the tourist confirms their own health."))
    case = latest_case(booking.user)
    if not self_certification_due(booking, now, case):
        raise ServiceError(_("There is nothing to confirm for this booking now."))
    details = _text(details, "details")
    if changed and not details:
        raise ServiceError(_("Tell the medical team what has changed."), "details")
    row = SelfCertification(case_id=case.id, booking_id=booking.id, changed=changed,
                            details=details if changed else "", created_at=now)
    db.session.add(row)
    db.session.flush()
    if changed:
        report_change(case, actor, details, now)
    else:
        sync_reminders(case, now)
    return row


def self_certifications_of(case: MedicalCase) -> list[SelfCertification]:
    return list(db.session.scalars(
        select(SelfCertification).where(SelfCertification.case_id == case.id).order_by(SelfCertification.id.desc())
    ))


# -- the status others see -------------------------------------------------------------------------

class Clearance(str, enum.Enum):
    NOT_STARTED = "not_started"
    ANSWERING = "answering"
    WAITING_FOR_REVIEW = "waiting_for_review"
    INFO_REQUESTED = "info_requested"
    CLEARED = "cleared"
    RESTRICTED = "restricted"                          # cleared, with restrictions
    EXPIRES_BEFORE_LAUNCH = "expires_before_launch"    # for a booking: not valid on the launch date
    EXPIRED = "expired"                                # for a user: no longer valid today
    NOT_CLEARED = "not_cleared"


_STATE_TO_CLEARANCE = {
    S.ANSWERING: Clearance.ANSWERING,
    S.SUBMITTED: Clearance.WAITING_FOR_REVIEW,
    S.INFO_REQUESTED: Clearance.INFO_REQUESTED,
    S.CLEARED: Clearance.CLEARED,
    S.RESTRICTED: Clearance.RESTRICTED,
    S.NOT_CLEARED: Clearance.NOT_CLEARED,
}

#: Badge tone per status (the gate statuses' colours).
TONES = {
    Clearance.NOT_STARTED: "action", Clearance.ANSWERING: "action", Clearance.WAITING_FOR_REVIEW: "waiting",
    Clearance.INFO_REQUESTED: "action", Clearance.CLEARED: "done", Clearance.RESTRICTED: "done",
    Clearance.EXPIRES_BEFORE_LAUNCH: "action", Clearance.EXPIRED: "action", Clearance.NOT_CLEARED: "blocked",
}


@dataclass(frozen=True)
class ClearanceStatus:
    """A medical status without any medical detail: what operations and logistics may see."""

    status: Clearance
    valid_until: date | None = None
    case_id: int | None = None
    #: For a booking: the self-certification is due now, or has been given.
    self_certification_due: bool = False
    self_certified: bool = False
    #: Waiting for review again after a clearance: the tourist reported a change.
    change_under_review: bool = False

    @property
    def cleared(self) -> bool:
        return self.status in (Clearance.CLEARED, Clearance.RESTRICTED)

    @property
    def tone(self) -> str:
        return TONES[self.status]

    @property
    def label(self) -> str:
        until = on_day(self.valid_until) if self.valid_until else ""
        return str(LABELS[self.status]) % {"date": until}


LABELS = {
    Clearance.NOT_STARTED: _l("Not started"),
    Clearance.ANSWERING: _l("Answering the questionnaire"),
    Clearance.WAITING_FOR_REVIEW: _l("Waiting for review"),
    Clearance.INFO_REQUESTED: _l("Information requested"),
    Clearance.CLEARED: _l("Cleared through %(date)s"),
    Clearance.RESTRICTED: _l("Cleared with restrictions through %(date)s"),
    Clearance.EXPIRES_BEFORE_LAUNCH: _l("Clearance ends %(date)s, before launch"),
    Clearance.EXPIRED: _l("Clearance ended %(date)s"),
    Clearance.NOT_CLEARED: _l("Not cleared"),
}


#: The statuses the list filters by (a tourist with a booking is never "expired": a clearance that
#: ended is one that ends before their launch).
TOURIST_STATUSES = tuple(c for c in Clearance if c is not Clearance.EXPIRED)
TOURIST_FILTER_LABELS = {
    Clearance.NOT_STARTED: _l("No questionnaire yet"),
    Clearance.ANSWERING: _l("Questionnaire in progress"),
    Clearance.WAITING_FOR_REVIEW: _l("Waiting for review"),
    Clearance.INFO_REQUESTED: _l("Information requested"),
    Clearance.CLEARED: _l("Cleared"),
    Clearance.RESTRICTED: _l("Cleared with restrictions"),
    Clearance.EXPIRES_BEFORE_LAUNCH: _l("Clearance ends before launch"),
    Clearance.NOT_CLEARED: _l("Not cleared"),
}


def tourist_status_label(status: ClearanceStatus) -> str:
    """A status as the list of tourists says it: "No questionnaire yet", "Cleared through 3 May
    2027", "Waiting for review (a change reported)"..."""
    if status.change_under_review:
        return str(_l("Waiting for review (a change reported)"))
    if status.status in (Clearance.NOT_STARTED, Clearance.ANSWERING):
        return str(TOURIST_FILTER_LABELS[status.status])
    return status.label


def tourist_status_labels() -> Callable[[ClearanceStatus], str]:
    """:func:`tourist_status_label` for one page: its rows share a few statuses and dates, each
    worded once (a lazy string and a date per row cost more than the rest of a row)."""
    words: dict[tuple, str] = {}

    def label(status: ClearanceStatus) -> str:
        key = (status.status, status.valid_until, status.change_under_review)
        if key not in words:
            words[key] = tourist_status_label(status)
        return words[key]
    return label


def _status_of(case: MedicalCase | Row | None, day: date | None) -> ClearanceStatus:
    """The status of a case (or of a row of :func:`latest_cases`: the same attributes)."""
    if case is None:
        return ClearanceStatus(Clearance.NOT_STARTED)
    status = _STATE_TO_CLEARANCE[case.state]
    if status in (Clearance.CLEARED, Clearance.RESTRICTED) and day is not None and not covers(case, day):
        status = Clearance.EXPIRES_BEFORE_LAUNCH
    return ClearanceStatus(status, case.valid_until if case.state in CLEARED_STATES else None, case.id,
                           change_under_review=changed_since_decision(case))


def changed_since_decision(case: MedicalCase | None) -> bool:
    """Waiting for review after having been decided: the tourist reported a change (a renewal is a
    new case, never decided yet)."""
    return case is not None and case.state is S.SUBMITTED and case.decided_at is not None


def user_statuses(users: Iterable[User], today: date | None = None) -> dict[int, ClearanceStatus]:
    """Each user's medical status today, in one query."""
    users = list(users)
    today = today or now_utc().date()
    cases = latest_cases(u.id for u in users)
    result = {}
    for user in users:
        status = _status_of(cases.get(user.id), None)
        if status.cleared and status.valid_until < today:
            status = ClearanceStatus(Clearance.EXPIRED, status.valid_until, status.case_id)
        result[user.id] = status
    return result


def cleared_through(people: Mapping[int, tuple[int, datetime]]) -> dict[int, bool]:
    """For each key (a place, say), whether the user's medical clearance covers the day of the
    launch given: the status only, without loading bookings (the instructor's roster), in one query."""
    cases = latest_cases(user_id for user_id, _launch in people.values())
    return {key: _status_of(cases.get(user_id), launch_day(launch_at)).cleared
            for key, (user_id, launch_at) in people.items()}


#: A booking's medical status as staff outside medicine see it (the coordinator's lists), never a detail.
OUTSIDE_CLEARED, OUTSIDE_NOT_CLEARED, OUTSIDE_NOT_YET = "cleared", "not_cleared", "not_yet"


@functools.cache
def launch_clearance_sql(user_id: Any, launch_at: Any) -> ColumnElement[str]:
    """SQL, per row of a list with the tourist (``user_id``) and a launch (``launch_at``) among its
    columns: :data:`OUTSIDE_CLEARED` when the tourist's newest case clears them on the launch's day,
    :data:`OUTSIDE_NOT_CLEARED` when it refuses them, else :data:`OUTSIDE_NOT_YET` (no case, one in
    progress, a clearance ending before the launch), as :func:`clearance_statuses` says with
    ``cleared`` and ``Clearance.NOT_CLEARED``. A list adds it as a column instead of loading the
    bookings' cases after it (one statement and a status object per booking fewer): a correlated
    subquery for each row shown, the newest case found by ``user_id``'s index. Kept per pair of
    columns, so that a statement built with it is the same object every time."""
    status = case(
        (and_(MedicalCase.state.in_(CLEARED_STATES), MedicalCase.valid_until >= utc_date(launch_at)), OUTSIDE_CLEARED),
        (MedicalCase.state == S.NOT_CLEARED, OUTSIDE_NOT_CLEARED), else_=OUTSIDE_NOT_YET)
    newest = select(status).where(MedicalCase.user_id == user_id).order_by(MedicalCase.id.desc()).limit(1)
    return func.coalesce(newest.scalar_subquery(), OUTSIDE_NOT_YET)


def clearance_statuses(bookings: list[Booking], now: datetime | None = None) -> dict[int, ClearanceStatus]:
    """Each booking's medical status for its launch date, with the self-certification: one or
    two queries whatever the number of bookings."""
    return clearance_statuses_of(bookings, latest_cases(b.user_id for b in bookings), now)


def clearance_statuses_of(bookings: list[Booking], cases: Mapping[int, Any],
                          now: datetime | None = None) -> dict[int, ClearanceStatus]:
    """:func:`clearance_statuses` from the bookings' tourists' newest cases, already read (by user
    id, as :func:`latest_cases` gives them): none or one query."""
    now = now or now_utc()
    statuses = {b.id: _status_of(cases.get(b.user_id), launch_date(b.flight)) for b in bookings}
    # Self-certifications matter only for cleared bookings whose window has opened (a tourist can
    # self-certify only inside it): asked for only when there are any, which for most journeys,
    # far from launch, is never.
    ids = [b.id for b in bookings if statuses[b.id].cleared and self_certification_opens(b) <= now]
    certified: set[int] = set()
    if ids:
        certified = set(db.session.scalars(
            select(SelfCertification.booking_id).join(MedicalCase, MedicalCase.id == SelfCertification.case_id)
            .where(SelfCertification.booking_id.in_(ids), _standing_certification())
        ))
    result = {}
    for booking in bookings:
        status = statuses[booking.id]
        if status.cleared:
            window = self_certification_opens(booking) <= now < booking.flight.launch_at
            done = booking.id in certified
            status = ClearanceStatus(
                status.status, status.valid_until, status.case_id,
                self_certification_due=window and not done and booking.state is BookingState.CONFIRMED,
                self_certified=done,
            )
        result[booking.id] = status
    return result


# -- vehicle limits --------------------------------------------------------------------------------

@dataclass(frozen=True)
class VehicleRow:
    vehicle: str
    limits: VehicleLimits | None
    next_launch: datetime | None


def vehicles() -> list[VehicleRow]:
    """Every vehicle of a flight, and any with limits but no flight, with their limits: two
    queries."""
    now = now_utc()
    launches: dict[str, datetime | None] = {}
    for vehicle, next_launch in db.session.execute(
        select(Flight.vehicle, func.min(case((Flight.launch_at > now, Flight.launch_at), else_=None)))
        .group_by(Flight.vehicle)
    ):
        launches[vehicle] = next_launch
    limits = {v.vehicle: v for v in db.session.scalars(select(VehicleLimits))}
    names = sorted(set(launches) | set(limits), key=str.casefold)
    return [VehicleRow(n, limits.get(n), launches.get(n)) for n in names]


_LIMIT_FIELDS = {
    "min_height_cm": (Decimal(100), Decimal(250), _l("Enter a height between %(min)s and %(max)s cm, or leave it empty.")),
    "max_height_cm": (Decimal(100), Decimal(250), _l("Enter a height between %(min)s and %(max)s cm, or leave it empty.")),
    "min_weight_kg": (Decimal(30), Decimal(250), _l("Enter a weight between %(min)s and %(max)s kg, or leave it empty.")),
    "max_weight_kg": (Decimal(30), Decimal(250), _l("Enter a weight between %(min)s and %(max)s kg, or leave it empty.")),
}


def vehicle_limits_values(vehicle: str | None, *, min_age: int | None = 18, min_height_cm=None, max_height_cm=None,
                          min_weight_kg=None, max_weight_kg=None) -> tuple[dict[str, Any], list[ServiceError]]:
    """A vehicle's limits read and checked, and every problem with them, each at its field
    (``min_age`` None: the form could not read it and says why)."""
    problems = Problems()
    vehicle = " ".join((vehicle or "").split())
    if not vehicle or len(vehicle) > 120:
        problems.add(_("Name the vehicle as flights give it."), "vehicle")
    if min_age is not None and not 18 <= int(min_age) <= 99:
        problems.add(_("The minimum age is between 18 and 99: participants must be adults."), "min_age")
    values: dict[str, Any] = {"vehicle": vehicle, "min_age": min_age}
    given = {"min_height_cm": min_height_cm, "max_height_cm": max_height_cm,
             "min_weight_kg": min_weight_kg, "max_weight_kg": max_weight_kg}
    for name, raw in given.items():
        low, high, message = _LIMIT_FIELDS[name]
        values[name] = None
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            value = Decimal(str(raw).strip().replace(",", "."))
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or not low <= value <= high:
            problems.add(str(message % {"min": low, "max": high}), name)
            continue
        values[name] = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    for low, high, message in (
        ("min_height_cm", "max_height_cm", _l("The minimum height is above the maximum.")),
        ("min_weight_kg", "max_weight_kg", _l("The minimum weight is above the maximum.")),
    ):
        if values[low] is not None and values[high] is not None and values[low] > values[high]:
            problems.add(str(message), high)
    return values, problems.errors


def save_vehicle_limits(vehicle: str, actor: User, *, min_age: int = 18, min_height_cm=None, max_height_cm=None,
                        min_weight_kg=None, max_weight_kg=None) -> VehicleLimits:
    """Set a vehicle's physical limits (creating them the first time)."""
    if not is_medical(actor):
        raise ServiceError(_("Only medical staff set a vehicle's physical limits."))
    values, errors = vehicle_limits_values(vehicle, min_age=min_age, min_height_cm=min_height_cm,
                                           max_height_cm=max_height_cm, min_weight_kg=min_weight_kg,
                                           max_weight_kg=max_weight_kg)
    problems = Problems(errors)
    if min_age is None:
        problems.add(_("The minimum age is between 18 and 99: participants must be adults."), "min_age")
    problems.raise_any()
    vehicle, min_age = values.pop("vehicle"), values.pop("min_age")
    row = db.session.scalar(select(VehicleLimits).where(VehicleLimits.vehicle == vehicle))
    if row is None:
        row = VehicleLimits(vehicle=vehicle)
        db.session.add(row)
    row.min_age = int(min_age)
    for name, value in values.items():
        setattr(row, name, value)
    db.session.flush()
    return row


def delete_vehicle_limits(limits: VehicleLimits, actor: User) -> None:
    if not is_medical(actor):
        raise ServiceError(_("Only medical staff set a vehicle's physical limits."))
    db.session.delete(limits)
    db.session.flush()


# -- links -----------------------------------------------------------------------------------------

#: The tourist's medical page (GET /medical, blueprints/medical/tourist.py).
TOURIST_PAGE = "medical.tourist.status"


def tourist_page_url(*, external: bool = False) -> str:
    return external_url(TOURIST_PAGE) if external else url_for(TOURIST_PAGE)
