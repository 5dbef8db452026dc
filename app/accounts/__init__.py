"""Accounts: sign-up, sign-in and server-side sessions, password resets, profiles."""

from app.accounts import labels, privacy  # noqa: F401  (registration)
