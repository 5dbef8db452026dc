"""The training domain's readiness gate: every module of the flight's plan passed, and each pass
still valid on the launch date (14 CFR 460.51). Never overridable: the regulation requires it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.formats import on_day
from app.i18n import current
from app.models import Booking, BookingState
from app.readiness import Audience, Gate, GateStatus, SimpleProvider, Words, register
from app.readiness import mark as _l
from app.urls import same_link
from app.training import progress
from app.training.progress import ModuleState


@dataclass
class _Loaded:
    """Each booking's progress, and what the page's cells share, worked out once: the words, and
    the names of each list of modules (most tourists of a flight have the same ones to book)."""
    progress: dict[int, progress.Progress]
    words: Words = field(default_factory=Words)
    names: dict[tuple, str] = field(default_factory=dict)

    def names_of(self, modules: list[progress.ModuleStatus], language: str) -> str:
        key = (language, *(m.module.id for m in modules))
        said = self.names.get(key)
        if said is None:
            said = self.names[key] = ", ".join(m.module.text(language) for m in modules)
        return said


def _load(bookings: list[Booking], earlier: dict[str, Any]) -> _Loaded:
    return _Loaded(progress.gate_progress(bookings))  # columns: plans, modules and places as the gate reads them


def _staff_gate(booking: Booking, mine: progress.Progress, label: str, loaded: _Loaded) -> Gate:
    words, names_of = loaded.words, loaded.names_of
    page = same_link("training.operations.index", flight=booking.flight_id)
    action = words(_l("See training"))
    if mine.plan is None:
        return Gate("training", label, GateStatus.WAITING, words(_l("No training plan published for this flight.")),
                    same_link("training.operations.plans"), words(_l("Plan training")))
    if mine.complete:
        return Gate("training", label, GateStatus.DONE,
                    words(_l("All %(count)s modules passed, each valid through launch."), count=len(mine.modules)),
                    page, action)
    if booking.state is not BookingState.CONFIRMED:
        return Gate("training", label, GateStatus.BLOCKED,
                    words(_l("Seat not confirmed yet: training is booked after the deposit.")), page, action)
    language = current().name
    to_book = mine.to_book
    if to_book:
        return Gate("training", label, GateStatus.ACTION,
                    words(_l("Not booked yet: %(modules)s (first deadline %(date)s)."),
                          modules=names_of(to_book, language),
                          date=on_day(min(m.deadline for m in to_book), "medium")), page, action)
    waiting = [m for m in mine.modules if m.state is ModuleState.WAITING]
    if waiting:
        return Gate("training", label, GateStatus.ACTION,
                    words(_l("On a waiting list for %(modules)s."), modules=names_of(waiting, language)), page, action)
    return Gate("training", label, GateStatus.WAITING,
                words(_l("All booked; %(passed)s of %(count)s passed."), passed=mine.passed_count,
                      count=len(mine.modules)), page, action)


def _gate(booking: Booking, loaded: _Loaded, audience: Audience) -> Gate:
    words, names_of = loaded.words, loaded.names_of
    label = words(_l("Training complete through launch"))
    mine = loaded.progress[booking.id]
    if audience is Audience.STAFF:
        return _staff_gate(booking, mine, label, loaded)
    page = same_link("training.tourist.index")
    if mine.plan is None:
        return Gate("training", label, GateStatus.WAITING,
                    words(_l("Operations have not yet published the training your flight requires.")))
    if mine.complete:
        return Gate("training", label, GateStatus.DONE,
                    words(_l("All %(count)s modules passed, each valid through launch."), count=len(mine.modules)))
    if booking.state is not BookingState.CONFIRMED:
        return Gate("training", label, GateStatus.BLOCKED,
                    words(_l("Pay the deposit to confirm your seat first; then book your training.")))
    language = booking.user.language
    to_book = mine.to_book
    if to_book:
        return Gate("training", label, GateStatus.ACTION,
                    words(_l("Still to book: %(modules)s. Book each before its deadline (the first: %(date)s)."),
                          modules=names_of(to_book, language),
                          date=on_day(min(m.deadline for m in to_book), "medium")),
                    page, words(_l("Book training")))
    waiting = [m for m in mine.modules if m.state is ModuleState.WAITING]
    if waiting:
        return Gate("training", label, GateStatus.ACTION,
                    words(_l("You are waiting for a place in %(modules)s: take a place offered to you, or "
                             "book another session."), modules=names_of(waiting, language)),
                    page, words(_l("Open your training")))
    return Gate("training", label, GateStatus.WAITING,
                words(_l("Every module is booked; %(passed)s of %(count)s passed. Your instructor signs "
                         "off each session."), passed=mine.passed_count, count=len(mine.modules)),
                page, words(_l("Open your training")))


register(SimpleProvider("training", _load, _gate), position=50)
