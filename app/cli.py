"""Command-line commands: ``flask create-user`` and ``flask seed-demo``."""

from __future__ import annotations

import click
from flask import Flask

from app.models import Role
from app.services import ServiceError, accounts
from app.transactions import commit, rollback


def register_cli(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.OPERATIONS.value,
                  show_default=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--language", default="en", show_default=True)
    @click.option("--timezone", default="UTC", show_default=True)
    @click.option("--date-of-birth", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Required for tourists (YYYY-MM-DD).")
    def create_user(email, name, role, password, language, timezone, date_of_birth):
        """Create an account (staff accounts are made this way or by operations in the app)."""
        try:
            user = accounts.create_user(
                email=email, name=name, password=password, role=Role(role), language=language,
                timezone=timezone, date_of_birth=date_of_birth.date() if date_of_birth else None,
            )
            commit()
        except ServiceError as exc:
            rollback()
            raise click.ClickException(str(exc.message)) from exc
        click.echo(f"Created {user.role.value} account {user.email}.")

    @app.cli.command("seed-demo")
    def seed_demo():
        """Load demo flights, a consent document and one account per role (safe to run again)."""
        from app.seed import seed_demo as run

        summary = run()
        commit()
        click.echo(summary)
