"""Accounts: sign-up, sign-in and server-side sessions, password resets, profiles."""

from app.accounts import labels  # noqa: F401  (registration)
