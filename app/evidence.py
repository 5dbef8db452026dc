"""The evidence pack of a flown tourist, made of sections the domains register: what each proves
about the booking, with the times (the consent signed before the first payment, the waiver, the
14 CFR 460.51 training with the instructors' sign-offs, the briefings, the medical clearance valid
on the launch date). The engine knows no domain: each registers a builder with :func:`register` in
its ``evidence_sections`` module; flight operations lay the sections out as a PDF."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from app.models import Booking


@dataclass(frozen=True)
class Line:
    label: str
    value: str


@dataclass(frozen=True)
class Section:
    """One requirement and its proof: ``proven`` when the record shows it met, with ``lines`` of
    facts (what, which version, when, by whom); ``note`` says what is missing otherwise."""

    title: str
    proven: bool
    lines: list[Line] = field(default_factory=list)
    note: str = ""


Builder = Callable[[Booking], list[Section]]
_BUILDERS: list[tuple[int, str, Builder]] = []


def register(key: str, builder: Builder, *, position: int) -> None:
    if all(k != key for _p, k, _b in _BUILDERS):
        _BUILDERS.append((position, key, builder))
        _BUILDERS.sort(key=lambda entry: entry[0])


def sections_for(booking: Booking) -> list[Section]:
    return [section for _p, _k, build in _BUILDERS for section in build(booking)]
