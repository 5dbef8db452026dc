"""Operations manage staff accounts: who works here, in which role."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts import accounts
from app.extensions import db
from app.models import Role, User
from blueprints.access import ops_only
from blueprints.accounts.forms import StaffForm
from blueprints.forms import form_status, save

bp = Blueprint("operations", __name__, url_prefix="/ops")


# -- staff accounts -------------------------------------------------------------------------------

@bp.route("/users", methods=["GET", "POST"])
@ops_only
def users():
    form = StaffForm()
    if form.validate_on_submit():
        saved, user = save(form, lambda: accounts.create_user(
            email=form.email.data, name=form.name.data, password=form.password.data,
            role=Role(form.role.data), language=form.language.data, timezone=form.timezone.data,
        ))
        if saved:
            flash(_("Account created for %(name)s.", name=user.name), "success")
            return redirect(url_for("accounts.operations.users"))
    staff = list(db.session.scalars(select(User).where(User.role != Role.TOURIST).order_by(User.role, User.name)))
    return render_template("accounts/operations/users.html", form=form, staff=staff), form_status()
