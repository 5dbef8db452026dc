"""Command-line commands: ``flask create-user``, ``flask seed-demo`` and ``flask medical ...``."""

from __future__ import annotations

import click
from cryptography.fernet import Fernet
from flask import Flask
from flask.cli import AppGroup

from app import seed
from app.accounts import accounts
from app.errors import ServiceError
from app.medical.access import log_access
from app.medical.keys import rotate_all
from app.models import Role
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
        summary = seed.seed_demo()
        commit()
        click.echo(summary)

    medical = AppGroup("medical", help="Medical data: encryption keys.")

    @medical.command("generate-key")
    def generate_key():
        """Print a new key for MEDICAL_ENCRYPTION_KEYS."""
        click.echo(Fernet.generate_key().decode("ascii"))

    @medical.command("rotate-key")
    @click.option("--batch-size", type=click.IntRange(1), default=500, show_default=True,
                  help="Rows read and written per transaction.")
    def rotate_key(batch_size):
        """Re-encrypt all medical data and uploads with the first key of MEDICAL_ENCRYPTION_KEYS.

        Put the new key first and keep the old ones after it, deploy, run this, then remove the
        old keys. Safe to run again: values already on the newest key are left as they are.
        """
        report = rotate_all(batch_size)
        for column in sorted(report.rewritten):
            click.echo(f"{column}: {report.rewritten[column]} re-encrypted, "
                       f"{report.current[column]} already on the newest key")
        click.echo(f"upload files: {report.files_rewritten} re-encrypted, "
                   f"{report.files_current} already on the newest key")
        summary = (f"key rotation: {report.values_rewritten} values and {report.files_rewritten} "
                   f"files re-encrypted")
        log_access(None, None, "rotate", summary)
        commit()
        click.echo(f"Done: {report.values_rewritten} values and {report.files_rewritten} files "
                   f"re-encrypted; {report.values_current} values and {report.files_current} files "
                   "were already on the newest key.")
        if report.unreadable:
            for what in report.unreadable[:50]:
                click.echo(f"cannot decrypt with any configured key: {what}", err=True)
            raise click.ClickException(
                f"{len(report.unreadable)} values or files cannot be decrypted with any key in "
                "MEDICAL_ENCRYPTION_KEYS; they were left as they are. Do not remove old keys yet.")

    app.cli.add_command(medical)
