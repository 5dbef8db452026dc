"""The training domain's readiness gate: every module of the flight's plan passed, and each pass
still valid on the launch date (14 CFR 460.51). Never overridable: the regulation requires it."""

from __future__ import annotations

from typing import Any

from app.formats import on_day
from app.i18n import current
from app.i18n import gettext as _
from app.models import Booking, BookingState
from app.readiness import Audience, Gate, GateStatus, SimpleProvider, register
from app.urls import same_link
from app.training import progress
from app.training.progress import ModuleState


def _load(bookings: list[Booking], earlier: dict[str, Any]) -> dict[int, progress.Progress]:
    return progress.progress_for(bookings)


def _names(modules: list[progress.ModuleStatus], language: str) -> str:
    return ", ".join(m.module.text(language) for m in modules)


def _staff_gate(booking: Booking, mine: progress.Progress, label: str) -> Gate:
    page = same_link("training.operations.index", flight=booking.flight_id)
    action = _("See training")
    if mine.plan is None:
        return Gate("training", label, GateStatus.WAITING, _("No training plan published for this flight."),
                    same_link("training.operations.plans"), _("Plan training"))
    if mine.complete:
        return Gate("training", label, GateStatus.DONE,
                    _("All %(count)s modules passed, each valid through launch.", count=len(mine.modules)),
                    page, action)
    if booking.state is not BookingState.CONFIRMED:
        return Gate("training", label, GateStatus.BLOCKED,
                    _("Seat not confirmed yet: training is booked after the deposit."), page, action)
    language = current().name
    to_book = mine.to_book
    if to_book:
        return Gate("training", label, GateStatus.ACTION,
                    _("Not booked yet: %(modules)s (first deadline %(date)s).", modules=_names(to_book, language),
                      date=on_day(min(m.deadline for m in to_book), "medium")), page, action)
    waiting = [m for m in mine.modules if m.state is ModuleState.WAITING]
    if waiting:
        return Gate("training", label, GateStatus.ACTION,
                    _("On a waiting list for %(modules)s.", modules=_names(waiting, language)), page, action)
    return Gate("training", label, GateStatus.WAITING,
                _("All booked; %(passed)s of %(count)s passed.", passed=mine.passed_count,
                  count=len(mine.modules)), page, action)


def _gate(booking: Booking, loaded: dict[int, progress.Progress], audience: Audience) -> Gate:
    label = _("Training complete through launch")
    mine = loaded[booking.id]
    if audience is Audience.STAFF:
        return _staff_gate(booking, mine, label)
    page = same_link("training.tourist.index")
    if mine.plan is None:
        return Gate("training", label, GateStatus.WAITING,
                    _("Operations have not yet published the training your flight requires."))
    if mine.complete:
        return Gate("training", label, GateStatus.DONE,
                    _("All %(count)s modules passed, each valid through launch.", count=len(mine.modules)))
    if booking.state is not BookingState.CONFIRMED:
        return Gate("training", label, GateStatus.BLOCKED,
                    _("Pay the deposit to confirm your seat first; then book your training."))
    language = booking.user.language
    to_book = mine.to_book
    if to_book:
        return Gate("training", label, GateStatus.ACTION,
                    _("Still to book: %(modules)s. Book each before its deadline (the first: %(date)s).",
                      modules=_names(to_book, language),
                      date=on_day(min(m.deadline for m in to_book), "medium")),
                    page, _("Book training"))
    waiting = [m for m in mine.modules if m.state is ModuleState.WAITING]
    if waiting:
        return Gate("training", label, GateStatus.ACTION,
                    _("You are waiting for a place in %(modules)s: take a place offered to you, or "
                      "book another session.", modules=_names(waiting, language)),
                    page, _("Open your training"))
    return Gate("training", label, GateStatus.WAITING,
                _("Every module is booked; %(passed)s of %(count)s passed. Your instructor signs "
                  "off each session.", passed=mine.passed_count, count=len(mine.modules)),
                page, _("Open your training"))


register(SimpleProvider("training", _load, _gate), position=50)
