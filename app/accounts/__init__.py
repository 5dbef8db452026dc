"""Accounts: sign-up, sign-in and server-side sessions, password resets, profiles."""
