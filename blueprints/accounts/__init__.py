"""Accounts' pages: everyone's own account (``auth``), staff accounts for operations (``operations``)."""

from flask import Blueprint

from blueprints.accounts import auth, operations

bp = Blueprint("accounts", __name__)
bp.register_blueprint(auth.bp)
bp.register_blueprint(operations.bp)
