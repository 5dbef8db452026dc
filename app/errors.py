"""The errors domains raise when a rule says no: a user-facing sentence, and the field it is about."""

from __future__ import annotations

from typing import Iterable


class ServiceError(Exception):
    """A rule said no. ``message`` is a user-facing, translated sentence; ``field`` names the
    form field it is about, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def errors(self) -> list[ServiceError]:
        """Every refusal this error carries (one here; several for :class:`ServiceErrors`)."""
        return [self]


class ServiceErrors(ServiceError):
    """Several rules said no at once, each about its own field: a service checks everything it can
    before refusing, so that a form shows every problem in one answer. ``message`` is all of them
    as one text, for callers that show a single sentence."""

    def __init__(self, errors: Iterable[ServiceError]) -> None:
        flat = [e for error in errors for e in error.errors]
        super().__init__(" ".join(str(e.message) for e in flat), flat[0].field if flat else None)
        self._errors = flat

    @property
    def errors(self) -> list[ServiceError]:
        return list(self._errors)


class Problems:
    """Collects the refusals of one check, so that all are raised together.

    ``add`` a message at a field, or run a check ``with problems.collect():`` to keep its
    ServiceError; ``raise_any()`` raises them (as one :class:`ServiceErrors`) when there are any.
    A field keeps only its first problem: the next one is often a consequence of it."""

    def __init__(self, errors: Iterable[ServiceError] = ()) -> None:
        self.errors: list[ServiceError] = []
        for error in errors:
            self.extend(error)

    def add(self, message: str, field: str | None = None) -> None:
        if field is None or not self.has(field):
            self.errors.append(ServiceError(message, field))

    def extend(self, error: ServiceError) -> None:
        for e in error.errors:
            self.add(e.message, e.field)

    def has(self, field: str) -> bool:
        return any(e.field == field for e in self.errors)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_any(self) -> None:
        if self.errors:
            raise ServiceErrors(self.errors) if len(self.errors) > 1 else self.errors[0]
