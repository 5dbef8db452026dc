"""The training domain's readiness gate: every module of the flight's plan passed, and each pass
still valid on the launch date (14 CFR 460.51). Never overridable: the regulation requires it."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import format_date, get_locale

from app.i18n import lazy_gettext as _l
from app.models import Booking, BookingState
from app.readiness import Audience, Gate, GateStatus, SimpleProvider, register
from app.training import progress
from app.training.progress import ModuleState


def _load(bookings: list[Booking], earlier: dict[str, Any]) -> dict[int, progress.Progress]:
    return progress.progress_for(bookings)


def _names(modules: list[progress.ModuleStatus], language: str) -> str:
    return ", ".join(m.module.text(language) for m in modules)


def _staff_gate(booking: Booking, mine: progress.Progress, label: str) -> Gate:
    page = url_for("training.operations.index", flight=booking.flight_id)
    action = str(_l("See training"))
    if mine.plan is None:
        return Gate("training", label, GateStatus.WAITING, str(_l("No training plan published for this flight.")),
                    url_for("training.operations.plans"), str(_l("Plan training")))
    if mine.complete:
        return Gate("training", label, GateStatus.DONE,
                    str(_l("All %(count)s modules passed, each valid through launch.", count=len(mine.modules))),
                    page, action)
    if booking.state is not BookingState.CONFIRMED:
        return Gate("training", label, GateStatus.BLOCKED,
                    str(_l("Seat not confirmed yet: training is booked after the deposit.")), page, action)
    language = str(get_locale() or "en")
    to_book = mine.to_book
    if to_book:
        return Gate("training", label, GateStatus.ACTION,
                    str(_l("Not booked yet: %(modules)s (first deadline %(date)s).", modules=_names(to_book, language),
                           date=format_date(min(m.deadline for m in to_book), "medium"))), page, action)
    waiting = [m for m in mine.modules if m.state is ModuleState.WAITING]
    if waiting:
        return Gate("training", label, GateStatus.ACTION,
                    str(_l("On a waiting list for %(modules)s.", modules=_names(waiting, language))), page, action)
    return Gate("training", label, GateStatus.WAITING,
                str(_l("All booked; %(passed)s of %(count)s passed.", passed=mine.passed_count,
                       count=len(mine.modules))), page, action)


def _gate(booking: Booking, loaded: dict[int, progress.Progress], audience: Audience) -> Gate:
    label = str(_l("Training complete through launch"))
    mine = loaded[booking.id]
    if audience is Audience.STAFF:
        return _staff_gate(booking, mine, label)
    page = url_for("training.tourist.index")
    if mine.plan is None:
        return Gate("training", label, GateStatus.WAITING,
                    str(_l("Operations have not yet published the training your flight requires.")))
    if mine.complete:
        return Gate("training", label, GateStatus.DONE,
                    str(_l("All %(count)s modules passed, each valid through launch.", count=len(mine.modules))))
    if booking.state is not BookingState.CONFIRMED:
        return Gate("training", label, GateStatus.BLOCKED,
                    str(_l("Pay the deposit to confirm your seat first; then book your training.")))
    language = booking.user.language
    to_book = mine.to_book
    if to_book:
        return Gate("training", label, GateStatus.ACTION,
                    str(_l("Still to book: %(modules)s. Book each before its deadline (the first: %(date)s).",
                           modules=_names(to_book, language),
                           date=format_date(min(m.deadline for m in to_book), "medium"))),
                    page, str(_l("Book training")))
    waiting = [m for m in mine.modules if m.state is ModuleState.WAITING]
    if waiting:
        return Gate("training", label, GateStatus.ACTION,
                    str(_l("You are waiting for a place in %(modules)s: take a place offered to you, or "
                           "book another session.", modules=_names(waiting, language))),
                    page, str(_l("Open your training")))
    return Gate("training", label, GateStatus.WAITING,
                str(_l("Every module is booked; %(passed)s of %(count)s passed. Your instructor signs "
                       "off each session.", passed=mine.passed_count, count=len(mine.modules))),
                page, str(_l("Open your training")))


register(SimpleProvider("training", _load, _gate), position=50)
