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
    """Each booking's progress, and the page's words (translated once per page)."""
    progress: dict[int, progress.Progress]
    words: Words = field(default_factory=Words)


def _load(bookings: list[Booking], earlier: dict[str, Any]) -> _Loaded:
    return _Loaded(progress.progress_for(bookings))


def _names(modules: list[progress.ModuleStatus], language: str) -> str:
    return ", ".join(m.module.text(language) for m in modules)


def _staff_gate(booking: Booking, mine: progress.Progress, label: str, words: Words) -> Gate:
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
                          modules=_names(to_book, language),
                          date=on_day(min(m.deadline for m in to_book), "medium")), page, action)
    waiting = [m for m in mine.modules if m.state is ModuleState.WAITING]
    if waiting:
        return Gate("training", label, GateStatus.ACTION,
                    words(_l("On a waiting list for %(modules)s."), modules=_names(waiting, language)), page, action)
    return Gate("training", label, GateStatus.WAITING,
                words(_l("All booked; %(passed)s of %(count)s passed."), passed=mine.passed_count,
                      count=len(mine.modules)), page, action)


def _gate(booking: Booking, loaded: _Loaded, audience: Audience) -> Gate:
    words = loaded.words
    label = words(_l("Training complete through launch"))
    mine = loaded.progress[booking.id]
    if audience is Audience.STAFF:
        return _staff_gate(booking, mine, label, words)
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
                          modules=_names(to_book, language),
                          date=on_day(min(m.deadline for m in to_book), "medium")),
                    page, words(_l("Book training")))
    waiting = [m for m in mine.modules if m.state is ModuleState.WAITING]
    if waiting:
        return Gate("training", label, GateStatus.ACTION,
                    words(_l("You are waiting for a place in %(modules)s: take a place offered to you, or "
                             "book another session."), modules=_names(waiting, language)),
                    page, words(_l("Open your training")))
    return Gate("training", label, GateStatus.WAITING,
                words(_l("Every module is booked; %(passed)s of %(count)s passed. Your instructor signs "
                         "off each session."), passed=mine.passed_count, count=len(mine.modules)),
                page, words(_l("Open your training")))


register(SimpleProvider("training", _load, _gate), position=50)
