"""Every state change happens here. Services change the session; the caller commits once."""


class ServiceError(Exception):
    """A rule said no. ``message`` is a user-facing, translated sentence."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
