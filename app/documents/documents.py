"""Documents to sign or acknowledge: published in versions, each in one or more languages; where
each tourist stands on each; opening, signing and acknowledging, with evidence; questions.

Which documents a booking needs: those not archived, with a published version, whose scope takes
in the booking's flight (every flight, its vehicle, its spaceport, or the flight itself). A
booking's document is *done* when it accepted a version at least as new as the latest *material*
one; a tourist who accepted an older version must sign or acknowledge again (*redo*).
"""

from __future__ import annotations

import difflib
import enum
import functools
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Integer, and_, bindparam, cast, func, null, or_, select, union_all
from sqlalchemy.dialects import postgresql as postgresql_types
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from app.config import LANGUAGES
from app.errors import Problems, ServiceError
from app.extensions import db
from app.messaging import reminders
from app.models import (
    Acceptance,
    Booking,
    BookingState,
    Document,
    DocumentEvent,
    DocumentEventKind,
    DocumentKind,
    DocumentNotice,
    DocumentScope,
    DocumentText,
    DocumentVersion,
    Flight,
    User,
)
from app.timeutil import age_on, now_utc
from app.transactions import after_commit

MINIMUM_AGE = 18
TITLE_MAX = 200
BODY_MAX = 100_000
SUMMARY_MAX = 2000
SCOPE_NAME_MAX = 120
LIVE = (BookingState.HELD, BookingState.CONFIRMED)
#: The order in which a tourist's documents are listed (and their gates come in the journey).
KIND_ORDER = (DocumentKind.INFORMED_CONSENT, DocumentKind.WAIVER, DocumentKind.PROHIBITED_ITEMS,
              DocumentKind.BRIEFING)


def normalise(body: str) -> str:
    """The text as stored and shown: line endings normalised, so a browser cannot change it."""
    return (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def text_hash(body: str) -> str:
    """SHA-256 of the text as shown."""
    return hashlib.sha256(normalise(body).encode("utf-8")).hexdigest()


# -- documents and versions, as operations keep them --------------------------------------------------

@dataclass
class DocumentData:
    kind: DocumentKind | None
    scope: DocumentScope | None
    scope_name: str = ""
    flight_id: int | None = None
    default_language: str = "en"


def document_problems(data: DocumentData) -> list[ServiceError]:
    problems = Problems()
    if data.default_language not in LANGUAGES:
        problems.add(_("Choose a language from the list."), "default_language")
    if data.scope in (DocumentScope.VEHICLE, DocumentScope.SPACEPORT):
        name = (data.scope_name or "").strip()
        if not name:
            problems.add(_("Say which vehicle or spaceport the document is for."), "scope_name")
        elif len(name) > SCOPE_NAME_MAX:
            problems.add(_("A name has at most %(max)s characters.", max=SCOPE_NAME_MAX), "scope_name")
    if data.scope is DocumentScope.FLIGHT and (data.flight_id is None or db.session.get(Flight, data.flight_id) is None):
        problems.add(_("Choose a flight from the list."), "flight_id")
    return problems.errors


def create_document(data: DocumentData, actor: User) -> Document:
    """A new document, to be published in versions."""
    Problems(document_problems(data)).raise_any()
    scoped = data.scope in (DocumentScope.VEHICLE, DocumentScope.SPACEPORT)
    document = Document(
        kind=data.kind, scope=data.scope, scope_name=data.scope_name.strip() if scoped else "",
        flight_id=data.flight_id if data.scope is DocumentScope.FLIGHT else None,
        default_language=data.default_language, created_by_id=actor.id,
    )
    if data.kind is DocumentKind.BRIEFING:
        document.position = (db.session.scalar(
            select(func.max(Document.position)).where(Document.kind == DocumentKind.BRIEFING)) or 0) + 1
    db.session.add(document)
    db.session.flush()
    return document


def archive_document(document: Document) -> None:
    """It is asked of nobody any more; its versions and every acceptance stay, as evidence."""
    if document.archived_at is None:
        document.archived_at = now_utc()
        db.session.flush()


def latest_version(document: Document) -> DocumentVersion | None:
    return db.session.scalar(
        select(DocumentVersion).where(DocumentVersion.document_id == document.id)
        .order_by(DocumentVersion.version.desc()).limit(1)
        .options(selectinload(DocumentVersion.texts))
    )


@dataclass
class Draft:
    """The texts of a version to publish: ``{language: (title, body)}``; a language left empty
    is not part of it."""
    texts: dict[str, tuple[str, str]] = field(default_factory=dict)
    material: bool = True
    #: What changed, in the document's default language (``summaries`` has the others).
    change_summary: str = ""
    #: What changed, per language: ``{language: summary}``.
    summaries: dict[str, str] = field(default_factory=dict)
    #: The number of the latest version when the draft was written (0: none yet); publishing
    #: refuses if another has been published since. None: not checked.
    based_on: int | None = None

    def summary(self, language: str, default_language: str) -> str:
        text = (self.summaries.get(language) or "").strip()
        if not text and language == default_language:
            text = (self.change_summary or "").strip()
        return text


def draft_problems(document: Document, draft: Draft) -> list[ServiceError]:
    problems = Problems()
    for language, (title, body) in draft.texts.items():
        title, body = (title or "").strip(), normalise(body)
        if language not in LANGUAGES:
            problems.add(_("Choose a language from the list."))
            continue
        if not title and not body:
            continue
        if not title:
            problems.add(_("Give the text in %(language)s a title.", language=LANGUAGES[language]), f"title_{language}")
        elif len(title) > TITLE_MAX:
            problems.add(_("A title has at most %(max)s characters.", max=TITLE_MAX), f"title_{language}")
        if not body:
            problems.add(_("Write the text in %(language)s, or leave its title empty too.",
                           language=LANGUAGES[language]), f"body_{language}")
        elif len(body) > BODY_MAX:
            problems.add(_("A text has at most %(max)s characters.", max=BODY_MAX), f"body_{language}")
    default = draft.texts.get(document.default_language) or ("", "")
    if not (default[0] or "").strip() and not normalise(default[1]):
        problems.add(_("Write the text in %(language)s, the document's default language.",
                       language=LANGUAGES.get(document.default_language, document.default_language)),
                     f"body_{document.default_language}")
    if len(draft.change_summary or "") > SUMMARY_MAX:
        problems.add(_("A summary has at most %(max)s characters.", max=SUMMARY_MAX), "change_summary")
    for language, summary in draft.summaries.items():
        if language not in LANGUAGES or not (summary or "").strip():
            continue
        if len(summary) > SUMMARY_MAX:
            problems.add(_("A summary has at most %(max)s characters.", max=SUMMARY_MAX), f"summary_{language}")
        title, body = draft.texts.get(language) or ("", "")
        if not (title or "").strip() and not normalise(body):
            problems.add(_("Write the text in %(language)s too, or leave its summary empty.",
                           language=LANGUAGES[language]), f"summary_{language}")
    return problems.errors


def _texts(draft: Draft) -> dict[str, tuple[str, str]]:
    return {lang: ((title or "").strip(), normalise(body)) for lang, (title, body) in draft.texts.items()
            if (title or "").strip() and normalise(body)}


def publish_version(document: Document, draft: Draft, actor: User) -> DocumentVersion:
    """Publish the next version. The first version, and a *material* change, ask every tourist the
    document applies to to sign or acknowledge it (again); a correction asks nobody again. Those
    tourists are told, and their reminders re-planned, by a task after the commit (a document for
    every flight reaches every booking): see :func:`notify_version`.

    The document's row is locked first, so that two publications of the same document queue; the
    second is refused if the draft was written against a version that is no longer the latest."""
    db.session.execute(select(Document.id).where(Document.id == document.id).with_for_update())
    db.session.refresh(document, ["archived_at"])
    if document.archived_at is not None:
        raise ServiceError(_("This document is archived: it is no longer asked of anyone."))
    Problems(draft_problems(document, draft)).raise_any()
    texts = _texts(draft)
    latest = latest_version(document)
    if draft.based_on is not None and draft.based_on != (latest.version if latest else 0):
        raise ServiceError(_("Version %(v)s was published by %(name)s while you were writing: read it, then publish "
                             "yours again if it is still needed.", v=latest.version if latest else 0,
                             name=latest.published_by.name if latest and latest.published_by else _("someone")))
    if latest is not None and {t.language: (t.title, t.sha256) for t in latest.texts} == {
            lang: (title, text_hash(body)) for lang, (title, body) in texts.items()}:
        raise ServiceError(_("This text is the same as the current version; nothing to publish."))
    material = draft.material or latest is None
    version = DocumentVersion(
        document_id=document.id, version=(latest.version + 1) if latest else 1, material=material,
        change_summary=draft.summary(document.default_language, document.default_language),
        published_by_id=actor.id,
    )
    db.session.add(version)
    db.session.flush()
    for language, (title, body) in texts.items():
        db.session.add(DocumentText(version_id=version.id, language=language, title=title, body=body,
                                    sha256=text_hash(body),
                                    change_summary=draft.summary(language, document.default_language)))
    if material:
        db.session.add(DocumentNotice(version_id=version.id))
        after_commit(NOTIFY_TASK, version.id)
    db.session.flush()
    db.session.expire(version, ["texts"])
    return version


#: The Celery task that tells the tourists a material version asks, and re-plans their reminders.
NOTIFY_TASK = "countdown.notify_document_version"
#: Bookings told per transaction by that task.
NOTIFY_BATCH = 200


def versions_to_notify() -> list[int]:
    """Material versions whose tourists are not all told yet, oldest first (the beat's sweep)."""
    return list(db.session.scalars(
        select(DocumentNotice.version_id).where(DocumentNotice.done_at.is_(None)).order_by(DocumentNotice.created_at)))


def notify_version(version_id: int, after_id: int = 0, limit: int | None = None) -> int | None:
    """Tell the next ``limit`` bookings (by id, after ``after_id``) the version's document applies
    to that it asks them to sign or acknowledge, and re-plan their reminders (the documents are
    open again: the week and the day before launch). Returns the last booking id done, or None when
    none was left: the task calls it again, committing each batch, until then. Each occurrence is
    told once whatever the number of runs, so a task that dies half-way is simply run again."""
    version = db.session.get(DocumentVersion, version_id)
    if version is None:
        return None
    batch = list(db.session.scalars(_bookings_of_query(version.document).where(Booking.id > after_id)
                                    .limit(limit or NOTIFY_BATCH)))
    for booking in (b for b in batch if b.holds_seat()):
        reminders.notify("document_published", booking, occurrence=f"v{version.id}",
                         context={"document_id": version.document_id, "version_id": version.id})
        reminders.sync(booking)
    db.session.flush()
    return batch[-1].id if batch else None


def version_notified(version_id: int) -> None:
    notice = db.session.get(DocumentNotice, version_id)
    if notice is not None and notice.done_at is None:
        notice.done_at = now_utc()
        db.session.flush()


def _scope_filter(flight_ids: set[int], vehicles: set[str], spaceports: set[str]):
    return or_(
        Document.scope == DocumentScope.ALL,
        and_(Document.scope == DocumentScope.VEHICLE, Document.scope_name.in_(vehicles)),
        and_(Document.scope == DocumentScope.SPACEPORT, Document.scope_name.in_(spaceports)),
        and_(Document.scope == DocumentScope.FLIGHT, Document.flight_id.in_(flight_ids)),
    )


def applies_to(document: Document, flight: Flight) -> bool:
    return (document.scope is DocumentScope.ALL
            or (document.scope is DocumentScope.VEHICLE and document.scope_name == flight.vehicle)
            or (document.scope is DocumentScope.SPACEPORT and document.scope_name == flight.spaceport)
            or (document.scope is DocumentScope.FLIGHT and document.flight_id == flight.id))


def bookings_of(document: Document) -> list[Booking]:
    """The live bookings, on flights yet to launch, the document applies to."""
    return [b for b in db.session.scalars(_bookings_of_query(document)) if b.holds_seat()]


@dataclass(slots=True)
class Listed:
    """A document as operations' list shows it, with its latest version (``version`` None: none
    published yet): the title in the reader's language, or else in the document's default one, and
    the languages the version is written in, in the order they were written."""
    id: int
    kind: DocumentKind
    scope: DocumentScope
    scope_name: str
    archived_at: datetime | None
    #: The name of the one flight it is for (``scope`` FLIGHT), else None.
    flight_name: str | None
    version: int | None = None
    published_at: datetime | None = None
    title: str = ""
    languages: list[str] = field(default_factory=list)


@functools.cache
def _listed_statement():
    """Built once: each document with its flight's name and its latest version's titles (not its
    texts: a text may be 100,000 characters long, and the list shows none), a row per language."""
    latest = (select(DocumentVersion.document_id, func.max(DocumentVersion.id).label("id"))
              .group_by(DocumentVersion.document_id).subquery())
    return (
        select(Document.id, Document.kind, Document.scope, Document.scope_name, Document.archived_at,
               Document.default_language, Flight.name, DocumentVersion.version, DocumentVersion.published_at,
               DocumentText.language, DocumentText.title)
        .outerjoin(Flight, Flight.id == Document.flight_id)
        .outerjoin(latest, latest.c.document_id == Document.id)
        .outerjoin(DocumentVersion, DocumentVersion.id == latest.c.id)
        .outerjoin(DocumentText, DocumentText.version_id == DocumentVersion.id)
        .order_by(Document.archived_at.is_not(None), Document.kind, Document.position, Document.id, DocumentText.id)
    )


def listed(language: str) -> list[Listed]:
    """Every document, archived ones last, for operations' list, in one query (columns)."""
    documents: dict[int, Listed] = {}
    titles: dict[int, dict[str, str]] = {}
    defaults: dict[int, str] = {}
    for (document_id, kind, scope, scope_name, archived_at, default_language, flight_name, version, published_at,
         text_language, title) in db.session.execute(_listed_statement()):
        entry = documents.get(document_id)
        if entry is None:
            entry = documents[document_id] = Listed(document_id, kind, scope, scope_name, archived_at, flight_name,
                                                    version, published_at)
            titles[document_id], defaults[document_id] = {}, default_language
        if text_language is not None:
            entry.languages.append(text_language)
            titles[document_id][text_language] = title
    for entry in documents.values():
        if entry.version is not None:  # DocumentVersion.text_in's choice
            own = titles[entry.id]
            entry.title = own.get(language) or own[defaults[entry.id]]
    return list(documents.values())


#: The flights a one-flight document may be for, in the new document's form: the next to launch.
FLIGHTS_OFFERED = 200


@functools.cache
def _scopes_statement():
    """Built once: the next flights to launch (id, name, launch; ``now`` bound) and, with no id,
    every name a flight gives its vehicle or spaceport: what :func:`scopes` reads, in one query.
    Ties in the launch are taken in the flights' order, so the list reads the same every time."""
    coming = (select(Flight.id, Flight.name, Flight.launch_at).where(Flight.launch_at > bindparam("now"))
              .order_by(Flight.launch_at, Flight.id).limit(FLIGHTS_OFFERED).subquery())
    names = select(Flight.vehicle.label("name")).union(select(Flight.spaceport)).subquery()
    return union_all(
        select(coming.c.id, coming.c.name, coming.c.launch_at),
        select(cast(null(), Integer), names.c.name, cast(null(), Flight.launch_at.type)),
    )


def scopes() -> tuple[list[tuple[int, str, datetime]], list[str]]:
    """What a new document may be asked of, in one query: the next :data:`FLIGHTS_OFFERED`
    flights to launch, ``(id, name, launch)`` in launch order; and the vehicles and spaceports the
    flights name, sorted (what a vehicle's or a spaceport's document is matched against: an exact
    name)."""
    flights, names = [], []
    for flight_id, name, launch_at in db.session.execute(_scopes_statement(), {"now": now_utc()}):
        if flight_id is None:
            names.append(name)
        else:
            flights.append((flight_id, name, launch_at))
    flights.sort(key=lambda f: (f[2], f[0]))  # as the subquery had them: a union keeps no order
    return flights, sorted(set(names))


def matches_no_flight(document: Document) -> bool:
    """A vehicle's or a spaceport's document whose name no flight uses (yet): it applies to nobody."""
    column = {DocumentScope.VEHICLE: Flight.vehicle, DocumentScope.SPACEPORT: Flight.spaceport}.get(document.scope)
    return column is not None and db.session.scalar(select(Flight.id).where(column == document.scope_name).limit(1)) is None


def _bookings_of_query(document: Document):
    query = select(Booking).join(Flight, Flight.id == Booking.flight_id).where(
        Booking.state.in_(LIVE), Flight.launch_at > now_utc())
    if document.scope is DocumentScope.VEHICLE:
        query = query.where(Flight.vehicle == document.scope_name)
    elif document.scope is DocumentScope.SPACEPORT:
        query = query.where(Flight.spaceport == document.scope_name)
    elif document.scope is DocumentScope.FLIGHT:
        query = query.where(Flight.id == document.flight_id)
    return query.order_by(Booking.id)


@dataclass(frozen=True)
class Impact:
    """What publishing a version would ask of tourists: ``again`` accepted the current version
    and would have to sign or acknowledge again; ``waiting`` have not accepted it (yet)."""
    again: int
    waiting: int
    #: Of ``waiting``, those who accepted an earlier version and are asked again already.
    redo: int = 0


def impact(document: Document, material: bool) -> Impact:
    bookings = bookings_of(document)
    if not bookings:
        return Impact(0, 0)
    statuses_now = statuses(bookings)
    own = {b.id: next((s for s in statuses_now[b.id] if s.document.id == document.id), None) for b in bookings}
    # A document with no version yet is in nobody's statuses: every booking it applies to waits.
    accepted = {booking_id for booking_id, s in own.items() if s is not None and s.acceptance is not None}
    open_now = {booking_id for booking_id, s in own.items() if s is None or not s.done}
    again = len(accepted - open_now) if material else 0
    return Impact(again=again, waiting=len(open_now), redo=len(accepted & open_now))


# -- where each booking stands -------------------------------------------------------------------------

class DocumentState(str, enum.Enum):
    NOT_OPENED = "not_opened"
    OPENED = "opened"
    DONE = "done"
    REDO = "redo"           # accepted an earlier version; a material change asks again


@dataclass
class DocumentStatus:
    document: Document
    current: DocumentVersion
    #: The oldest version an acceptance may be of: the latest material one.
    required: int
    #: The booking's latest acceptance of this document, if any.
    acceptance: Acceptance | None
    #: When the tourist first opened the current version.
    opened_at: datetime | None

    @property
    def done(self) -> bool:
        return self.acceptance is not None and self.acceptance.version >= self.required

    @property
    def state(self) -> DocumentState:
        return state_of(self.required, self.acceptance.version if self.acceptance is not None else None,
                        self.opened_at)

    @property
    def kind(self) -> DocumentKind:
        return self.document.kind

    @property
    def signed(self) -> bool:
        return self.document.kind.signed


def state_of(required: int, accepted_version: int | None, opened_at: datetime | None) -> DocumentState:
    """Where a booking stands on a document whose latest material version is ``required``, having
    accepted ``accepted_version`` at the latest (None: never) and opened the current one at
    ``opened_at`` (None: not yet)."""
    if accepted_version is not None:
        return DocumentState.DONE if accepted_version >= required else DocumentState.REDO
    return DocumentState.OPENED if opened_at is not None else DocumentState.NOT_OPENED


def sort_key(document: Document) -> tuple:
    return (KIND_ORDER.index(document.kind), document.position, document.id)


@functools.cache
def _published_statement():
    """Built once (building it costs more than running it); the flights' ids, vehicles and
    spaceports are bound when it runs."""
    numbers = (
        select(DocumentVersion.document_id, func.max(DocumentVersion.version).label("latest"),
               func.max(DocumentVersion.version).filter(DocumentVersion.material.is_(True)).label("required"))
        .group_by(DocumentVersion.document_id).subquery()
    )
    return (
        select(Document, DocumentVersion, numbers.c.required)
        .join(numbers, numbers.c.document_id == Document.id)
        .join(DocumentVersion, and_(DocumentVersion.document_id == Document.id,
                                    DocumentVersion.version == numbers.c.latest))
        .where(Document.archived_at.is_(None), _scope_filter(
            bindparam("flight_ids", expanding=True), bindparam("vehicles", expanding=True),
            bindparam("spaceports", expanding=True)))
        .options(joinedload(DocumentVersion.texts))  # in the same query: a version has a text per language
    )


def published(flights: list[Flight]) -> dict[int, list[tuple[Document, DocumentVersion, int]]]:
    """Per flight, the documents it needs with their current version and the number of the latest
    material version, in the order they are listed: one query whatever the number of flights (the
    documents with their current versions and those versions' texts)."""
    result: dict[int, list[tuple[Document, DocumentVersion, int]]] = {f.id: [] for f in flights}
    if not flights:
        return result
    rows = db.session.execute(_published_statement(), {
        "flight_ids": list({f.id for f in flights}), "vehicles": list({f.vehicle for f in flights}),
        "spaceports": list({f.spaceport for f in flights})}).unique().all()
    current = {document.id: (version, required) for document, version, required in rows}
    documents = [document for document, _version, _required in rows]
    for document in sorted(documents, key=sort_key):
        version, required = current[document.id]
        entry = (document, version, required or 1)
        for flight in flights:
            if applies_to(document, flight):
                result[flight.id].append(entry)
    return result


@functools.cache
def _acceptances_statement():
    # Built once, as the published documents' statement is; the ids are bound when it runs.
    return (select(Acceptance).where(Acceptance.booking_id.in_(bindparam("ids", expanding=True)))
            .order_by(Acceptance.version))


@functools.cache
def _opened_statement():
    return select(DocumentEvent.booking_id, DocumentEvent.version_id, DocumentEvent.at).where(
        DocumentEvent.booking_id.in_(bindparam("ids", expanding=True)),
        DocumentEvent.version_id.in_(bindparam("version_ids", expanding=True)),
        DocumentEvent.kind == DocumentEventKind.OPENED)


def statuses(bookings: list[Booking], needed: dict[int, list[tuple[Document, DocumentVersion, int]]] | None = None,
             *, when_opened: bool = True) -> dict[int, list[DocumentStatus]]:
    """Each booking's documents and where it stands on each, in a fixed number of queries (two
    fewer when the caller has :func:`published` of the bookings' flights already). With
    ``when_opened=False``, for a caller that never reads when a document was opened (the readiness
    gates: passed or not is the acceptance alone), one query fewer and every ``opened_at`` None
    (so ``state`` does not tell opened from not opened)."""
    if needed is None:
        needed = published(list({b.flight_id: b.flight for b in bookings}.values()))
    ids = [b.id for b in bookings]
    version_ids = {v.id for entries in needed.values() for _d, v, _r in entries}
    latest: dict[tuple[int, int], Acceptance] = {}
    opened: dict[tuple[int, int], datetime] = {}
    if ids and version_ids:
        for acceptance in db.session.scalars(_acceptances_statement(), {"ids": ids}):
            latest[(acceptance.booking_id, acceptance.document_id)] = acceptance
        if when_opened:
            for booking_id, version_id, at in db.session.execute(
                    _opened_statement(), {"ids": ids, "version_ids": list(version_ids)}):
                opened[(booking_id, version_id)] = at
    # The ids read once per flight's document, not once per booking and document.
    keyed = {flight_id: [(document, version, required, document.id, version.id)
                         for document, version, required in entries] for flight_id, entries in needed.items()}
    return {b.id: [
        DocumentStatus(document, version, required, latest.get((b.id, document_id)), opened.get((b.id, version_id)))
        for document, version, required, document_id, version_id in keyed[b.flight_id]
    ] for b in bookings}


@dataclass(frozen=True, slots=True)
class Needed:
    """A document a flight needs, as the readiness gates read it: its current version's number and
    titles (by language), never its texts' bodies (up to 100,000 characters each)."""
    document_id: int
    kind: DocumentKind
    version_id: int
    version: int
    #: The oldest version an acceptance may be of: the latest material one.
    required: int
    default_language: str
    titles: dict[str, str]

    def title_in(self, language: str) -> str:
        """``DocumentVersion.text_in(language).title``: in ``language``, else the default one."""
        titles = self.titles
        return titles[language] if language in titles else titles[self.default_language]


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a booking stands on a document it needs (:class:`DocumentStatus` as columns): the
    document, and the booking's latest acceptance of it, if any."""
    needed: Needed
    acceptance: Accepted | None

    @property
    def done(self) -> bool:
        return self.acceptance is not None and self.acceptance.version >= self.needed.required

    @property
    def kind(self) -> DocumentKind:
        return self.needed.kind


@functools.cache
def _needed_statement():
    """:func:`_published_statement` as columns: the current versions' titles, no bodies."""
    numbers = (
        select(DocumentVersion.document_id, func.max(DocumentVersion.version).label("latest"),
               func.max(DocumentVersion.version).filter(DocumentVersion.material.is_(True)).label("required"))
        .group_by(DocumentVersion.document_id).subquery()
    )
    return (
        select(Document.id, Document.kind, Document.scope, Document.scope_name, Document.flight_id,
               Document.position, Document.default_language, DocumentVersion.id, DocumentVersion.version,
               numbers.c.required, DocumentText.language, DocumentText.title)
        .join(numbers, numbers.c.document_id == Document.id)
        .join(DocumentVersion, and_(DocumentVersion.document_id == Document.id,
                                    DocumentVersion.version == numbers.c.latest))
        .outerjoin(DocumentText, DocumentText.version_id == DocumentVersion.id)
        .where(Document.archived_at.is_(None), _scope_filter(
            bindparam("flight_ids", expanding=True), bindparam("vehicles", expanding=True),
            bindparam("spaceports", expanding=True)))
        .order_by(DocumentText.id)
    )


@functools.cache
def _accepted_statement(postgresql: bool):
    """On PostgreSQL the bookings' ids go as one array (``= ANY(:ids)``, as
    ``medical.cases.latest_cases`` binds them): a list of 80 is rendered and parsed again on every
    call (0.6 -> 0.2 ms a call in Python)."""
    if postgresql:
        of = Acceptance.booking_id == func.any(bindparam("ids", type_=postgresql_types.ARRAY(Integer)))
    else:
        of = Acceptance.booking_id.in_(bindparam("ids", expanding=True))
    return (select(Acceptance.booking_id, Acceptance.document_id, Acceptance.id, Acceptance.version,
                   Acceptance.accepted_at).where(of).order_by(Acceptance.version))


def standings(bookings: list[Booking]) -> dict[int, list[Standing]]:
    """:func:`statuses` (``when_opened=False``) as columns, for the readiness gates: each booking's
    documents in the order they are listed, with its latest acceptance of each; two queries."""
    flights = list({b.flight_id: b.flight for b in bookings}.values())
    if not flights:
        return {}
    documents: dict[int, tuple] = {}
    titles: dict[int, dict[str, str]] = {}
    for (document_id, kind, scope, scope_name, flight_id, position, default_language, version_id, version,
         required, language, title) in db.session.execute(_needed_statement(), {
            "flight_ids": list({f.id for f in flights}), "vehicles": list({f.vehicle for f in flights}),
            "spaceports": list({f.spaceport for f in flights})}):
        if document_id not in documents:
            titles[document_id] = {}
            documents[document_id] = (kind, scope, scope_name, flight_id, position, default_language, version_id,
                                      version, required)
        if language is not None:
            titles[document_id][language] = title
    ordered = sorted(documents.items(), key=lambda item: (KIND_ORDER.index(item[1][0]), item[1][4], item[0]))
    needed: dict[int, list[Needed]] = {f.id: [] for f in flights}
    for document_id, (kind, scope, scope_name, flight_id, _position, default_language, version_id, version,
                      required) in ordered:
        entry = Needed(document_id, kind, version_id, version, required or 1, default_language, titles[document_id])
        for flight in flights:  # applies_to, on the columns
            if (scope is DocumentScope.ALL or (scope is DocumentScope.VEHICLE and scope_name == flight.vehicle)
                    or (scope is DocumentScope.SPACEPORT and scope_name == flight.spaceport)
                    or (scope is DocumentScope.FLIGHT and flight_id == flight.id)):
                needed[flight.id].append(entry)
    latest: dict[tuple[int, int], Accepted] = {}
    if any(needed.values()):
        for booking_id, document_id, acceptance_id, version, at in db.session.execute(
                _accepted_statement(db.session.get_bind().dialect.name == "postgresql"),
                {"ids": [b.id for b in bookings]}):
            latest[(booking_id, document_id)] = Accepted(acceptance_id, version, at)
    return {b.id: [Standing(entry, latest.get((b.id, entry.document_id))) for entry in needed[b.flight_id]]
            for b in bookings}


# -- operations' table of a flight --------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Accepted:
    """What the table shows of a booking's latest acceptance of a document: its id (the evidence's
    address), the version accepted and when."""
    id: int
    version: int
    accepted_at: datetime


@dataclass(frozen=True, slots=True)
class Cell:
    """A booking's state on one document, as :class:`DocumentStatus` says it, and what the cell
    shows beside it: the latest acceptance, or else when the current version was first opened."""
    state: DocumentState
    acceptance: Accepted | None
    opened_at: datetime | None

    @property
    def done(self) -> bool:
        return self.state is DocumentState.DONE


@dataclass(frozen=True, slots=True)
class TableRow:
    """A tourist's row: their booking, their name and a cell per document the flight needs."""
    booking_id: int
    reference: str
    name: str
    cells: list[Cell]
    #: Some document still to open, sign or acknowledge.
    open: bool


@functools.cache
def _table_statement():
    """Built once. Each live booking of the flight (``flight_id``) with its tourist's name, joined
    to its *marks*: every acceptance (keyed by the document) and the openings of the current
    versions (``version_ids``; keyed by the version, with no acceptance id). One row per mark, or
    one with no mark; columns, not entities: the table reads five of an acceptance's twelve."""
    marks = union_all(
        select(Acceptance.booking_id, Acceptance.document_id.label("key"), Acceptance.id.label("acceptance_id"),
               Acceptance.version, Acceptance.accepted_at.label("at")),
        select(DocumentEvent.booking_id, DocumentEvent.version_id, cast(null(), Integer), cast(null(), Integer),
               DocumentEvent.at)
        .where(DocumentEvent.kind == DocumentEventKind.OPENED,
               DocumentEvent.version_id.in_(bindparam("version_ids", expanding=True))),
    ).subquery("marks")
    return (select(Booking.id, Booking.reference, Booking.state, Booking.hold_expires_at, User.name, marks.c.key,
                   marks.c.acceptance_id, marks.c.version, marks.c.at)
            .join(User, User.id == Booking.user_id)
            .outerjoin(marks, marks.c.booking_id == Booking.id)
            .where(Booking.flight_id == bindparam("flight_id"), Booking.state.in_(LIVE))
            .order_by(Booking.id))


def flight_table(flight_id: int, needed: list[tuple[Document, DocumentVersion, int]]) -> list[TableRow]:
    """Operations' table of a flight: each tourist whose booking holds a seat, in booking order,
    with a cell per document of ``needed`` (the flight's :func:`published`), in one query. The
    states are :func:`statuses`' (the latest acceptance of each document against its latest
    material version; the opening of its current version)."""
    now = now_utc()
    bookings: dict[int, tuple[str, str]] = {}
    accepted: dict[tuple[int, int], Accepted] = {}
    opened: dict[tuple[int, int], datetime] = {}
    for booking_id, reference, state, hold_expires_at, name, key, acceptance_id, version, at in db.session.execute(
            _table_statement(), {"flight_id": flight_id, "version_ids": [v.id for _d, v, _r in needed]}):
        # Booking.holds_seat, on the columns.
        if not (state is BookingState.CONFIRMED or (hold_expires_at is not None and hold_expires_at > now)):
            continue
        bookings[booking_id] = (reference, name)
        if acceptance_id is not None:
            previous = accepted.get((booking_id, key))
            if previous is None or previous.version < version:  # the latest acceptance of the document
                accepted[(booking_id, key)] = Accepted(acceptance_id, version, at)
        elif key is not None:
            opened[(booking_id, key)] = at
    columns = [(document.id, version.id, required) for document, version, required in needed]
    rows = []
    for booking_id, (reference, name) in bookings.items():
        cells = []
        for document_id, version_id, required in columns:
            acceptance = accepted.get((booking_id, document_id))
            opened_at = opened.get((booking_id, version_id))
            cells.append(Cell(state_of(required, acceptance.version if acceptance else None, opened_at),
                              acceptance, opened_at))
        rows.append(TableRow(booking_id, reference, name, cells, any(not c.done for c in cells)))
    return rows


def status_of(booking: Booking, document: Document) -> DocumentStatus | None:
    return next((s for s in statuses([booking])[booking.id] if s.document.id == document.id), None)


# -- what the tourist does -----------------------------------------------------------------------------

def _live(booking: Booking, user: User) -> None:
    if booking.user_id != user.id:
        raise ServiceError(_("This booking is not yours."))
    if not booking.holds_seat():
        raise ServiceError(_("Your seat hold has expired. Hold a seat again to sign."))


def record_opened(booking: Booking, version: DocumentVersion, language: str) -> None:
    """The first time the tourist opens a version, an ``opened`` event (later openings add none)."""
    exists = db.session.scalar(select(DocumentEvent.id).where(
        DocumentEvent.booking_id == booking.id, DocumentEvent.version_id == version.id,
        DocumentEvent.kind == DocumentEventKind.OPENED))
    if exists is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(DocumentEvent(booking_id=booking.id, document_id=version.document_id, version_id=version.id,
                                         kind=DocumentEventKind.OPENED, language=language, actor_id=booking.user_id))
    except IntegrityError:  # opened at the same moment in another tab: the first one counts
        pass


def signed_name_problem(user: User, signed_name: str | None) -> ServiceError | None:
    """A signature is the account's name, typed: anything else is refused at the name field."""
    if " ".join((signed_name or "").split()).casefold() != " ".join(user.name.split()).casefold():
        return ServiceError(_("Type your full name exactly as on your account: %(name)s.", name=user.name),
                            "signed_name")
    return None


def accept(booking: Booking, user: User, *, version_id: int, language: str, signed_name: str = "",
           ip_address: str = "", user_agent: str = "", document_id: int | None = None,
           seen_language: str | None = None) -> Acceptance:
    """Sign (consent, waiver) or acknowledge (the others) the version the tourist read, in the
    text shown to a reader of ``language`` (theirs, or else the default). Refused if a newer
    version was published meanwhile, if the version is not of ``document_id`` (the page's), or if
    the page said it showed another language than the one the text is in now (``seen_language``)."""
    now = now_utc()
    _live(booking, user)
    version = db.session.get(DocumentVersion, version_id)
    if version is None or (document_id is not None and version.document_id != document_id):
        raise ServiceError(_("This document does not exist."))
    document = version.document
    status = status_of(booking, document)
    if status is None:
        raise ServiceError(_("This document is not asked of your booking."))
    if status.current.id != version.id:
        raise ServiceError(_("A new version of the document was published while you were reading. "
                             "Please read version %(version)s and sign again.", version=status.current.version))
    if status.acceptance is not None and status.acceptance.version_id == version.id:
        raise ServiceError(_("You have already signed this version.") if document.kind.signed
                           else _("You have already acknowledged this version."))
    if document.kind.signed:
        if user.date_of_birth is None or age_on(user.date_of_birth, now.date()) < MINIMUM_AGE:
            raise ServiceError(_("Spaceflight participants must be 18 or older."))
        problem = signed_name_problem(user, signed_name)
        if problem is not None:
            raise problem
    shown = version.text_in(language)
    if seen_language is not None and seen_language != shown.language:
        raise ServiceError(_("The document is now shown in another language than the one you read: please read it "
                             "again."))
    if text_hash(shown.body) != shown.sha256:
        raise RuntimeError("document text does not match its recorded hash")
    acceptance = Acceptance(
        booking_id=booking.id, user_id=user.id, document_id=document.id, version_id=version.id,
        version=version.version, language=shown.language, text_sha256=shown.sha256,
        signed_name=" ".join(signed_name.split()) if document.kind.signed else "", accepted_at=now,
        ip_address=(ip_address or "")[:45], user_agent=(user_agent or "")[:512],
    )
    try:
        # A second click while the first is being saved: the unique (booking, version) refuses it.
        with db.session.begin_nested():
            db.session.add(acceptance)
            db.session.add(DocumentEvent(
                booking_id=booking.id, document_id=document.id, version_id=version.id, language=shown.language,
                at=now, kind=DocumentEventKind.SIGNED if document.kind.signed else DocumentEventKind.ACKNOWLEDGED,
                actor_id=user.id))
            db.session.flush()
    except IntegrityError:
        raise ServiceError(_("You have already signed this version.") if document.kind.signed
                           else _("You have already acknowledged this version.")) from None
    reminders.sync(booking)
    return acceptance


def changes_since(status: DocumentStatus, language: str) -> list[tuple[str, str]] | None:
    """What changed in the text since the version the tourist accepted, as a list of
    ``(op, text)`` lines (op: "=", "+", "-"): None when there is nothing to compare."""
    if status.acceptance is None or status.acceptance.version_id == status.current.id:
        return None
    # Both sides in one language: the one accepted, where the new version has it, else the default.
    accepted = status.acceptance.language
    both = accepted if any(t.language == accepted for t in status.current.texts) else status.document.default_language
    old = status.acceptance.document_version.text_in(both).body.splitlines()
    new = status.current.text_in(both).body.splitlines()
    lines = []
    for line in difflib.ndiff(old, new):
        op, text = line[:1], line[2:]
        if op in ("+", "-"):
            lines.append((op, text))
        elif op == " ":
            lines.append(("=", text))
    return lines


def summaries_since(status: DocumentStatus, language: str) -> list[tuple[int, str, str]]:
    """What each version published since the one the tourist accepted says changed, newest first:
    ``(version number, summary, the summary's language)``, for the versions that say anything."""
    if status.acceptance is None:
        return []
    versions = db.session.scalars(
        select(DocumentVersion).where(DocumentVersion.document_id == status.document.id,
                                      DocumentVersion.version > status.acceptance.version)
        .options(selectinload(DocumentVersion.texts)).order_by(DocumentVersion.version.desc()))
    return [(v.version, *v.summary_in(language)) for v in versions if v.summary_in(language)[0]]


# -- operations remind ---------------------------------------------------------------------------------

#: Operations remind a tourist at most this often (a second click sends nothing).
REMIND_AGAIN_AFTER = timedelta(hours=1)


def remind(bookings: list[Booking], actor: User) -> list[Booking]:
    """Remind the tourists of ``bookings`` of the documents still open, at once (by their
    preferred channels); the bookings reminded. Left out: a booking with nothing open, one whose
    seat is no longer theirs, one reminded less than :data:`REMIND_AGAIN_AFTER` ago. The statuses
    and the last reminders are loaded for all the bookings at once."""
    bookings = [b for b in bookings if b.holds_seat()]
    if not bookings:
        return []
    now = now_utc()
    statuses_now = statuses(bookings)
    last = dict(db.session.execute(
        select(DocumentEvent.booking_id, func.max(DocumentEvent.at))
        .where(DocumentEvent.booking_id.in_([b.id for b in bookings]), DocumentEvent.kind == DocumentEventKind.REMINDED)
        .group_by(DocumentEvent.booking_id)).all())
    reminded = []
    for booking in bookings:
        open_now = [s for s in statuses_now[booking.id] if not s.done]
        if not open_now or (booking.id in last and now - last[booking.id] < REMIND_AGAIN_AFTER):
            continue
        db.session.add_all([DocumentEvent(booking_id=booking.id, document_id=status.document.id,
                                          version_id=status.current.id, kind=DocumentEventKind.REMINDED, at=now,
                                          actor_id=actor.id) for status in open_now])
        reminders.notify("documents_reminder", booking, occurrence=f"ops-{now.strftime('%Y%m%d%H%M%S%f')}")
        reminded.append(booking)
    db.session.flush()
    return reminded
