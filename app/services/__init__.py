"""Every state change happens here. Services change the session; the caller commits once."""


class ServiceError(Exception):
    """A rule said no. ``message`` is a user-facing, translated sentence; ``field`` names the
    form field it is about, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
