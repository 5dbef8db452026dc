"""The tourist's travel page, ``/travel``: per booking, where travel stands, the itinerary as a
timeline (in the place's time and theirs) with every change the coordinator made, how they arrive
and who comes with them; once for all trips, their emergency contacts (or a recorded decline),
needs and travel document. Each form posts to its own address and comes back to the page; a
refusal shows the page again with the problems at their fields, and saves nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.models import Role
from app.transactions import commit
from app.travel import access, details, itinerary, status
from blueprints.access import own_booking, roles_required
from blueprints.forms import ActionForm, attempt, form_status, save
from blueprints.travel.forms import ArrivalForm, CompanionForm, ContactForm, DocumentForm, NeedsForm

T = TypeVar("T")
bp = Blueprint("tourist", __name__, url_prefix="/travel")
tourist_only = roles_required(Role.TOURIST)
#: A form the page only shows: the template writes its token field (the page's token, under the
#: name the posted form reads), so WTForms makes none for each of the page's ten forms.
SHOWN = {"csrf": False}


def _arrival_form(booking, arrival) -> ArrivalForm:
    """The booking's arrival form, filled from what the page read (``arrival``, or ``None``)."""
    form = ArrivalForm(formdata=None, prefix=f"a{booking.id}", meta=SHOWN)
    form.booking = booking
    if arrival is not None:
        form.mode.data = arrival.mode.value
        form.flight_number.data, form.airport.data, form.timezone.data = (
            arrival.flight_number, arrival.airport, arrival.timezone)
        if arrival.arrives_at is not None:
            form.arrives_local.data = arrival.arrives_at.astimezone(ZoneInfo(arrival.timezone)).replace(tzinfo=None)
    else:
        form.timezone.data = current_user.timezone or "UTC"
    return form


def _document_form(document) -> DocumentForm:
    """The travel document form, filled from what the page read (``document``, or ``None``)."""
    form = DocumentForm(formdata=None, meta=SHOWN)
    if document is not None:
        form.name_as_printed.data, form.document_type.data = document.name_as_printed, document.document_type.value
        form.number.data, form.nationality.data = document.number, document.nationality
        form.issuing_country.data, form.expires_on.data = document.issuing_country, document.expires_on
        form.date_of_birth.data, form.sex.data = document.date_of_birth, document.sex.value
    else:
        form.name_as_printed.data, form.date_of_birth.data = current_user.name, current_user.date_of_birth
    return form


def _needs_form(profile) -> NeedsForm:
    form = NeedsForm(formdata=None, meta=SHOWN)
    if profile is not None:
        form.dietary.data, form.accessibility.data = profile.dietary, profile.accessibility
    return form


def _changes(bookings, changed: list[int]) -> dict:
    """Each booking's itinerary changes: read only when a booking has any (most have none)."""
    changes = itinerary.changes_of(changed) if changed else {}
    return {b.id: changes.get(b.id, []) for b in bookings}


def _page(**forms):
    """The whole page; ``forms`` replaces a form by the one just posted (with its problems)."""
    trips = details.trips(current_user.id)
    bookings = trips.bookings
    # Each read once, and given to the statuses.
    document, profile, contacts = details.own_details(current_user.id)
    known = status.Known(current_user.id, document, profile, len(contacts), trips.arrivals, trips.segments)
    travel = status.statuses(bookings, known)
    context = dict(
        bookings=bookings, travel=travel, changes=_changes(bookings, trips.changed),
        companions=trips.companions,
        contacts=contacts, profile=profile, document=document,
        arrival_forms={b.id: forms.get(f"arrival_{b.id}") or _arrival_form(b, travel[b.id].arrival)
                       for b in bookings},
        companion_forms={b.id: forms.get(f"companion_{b.id}") or CompanionForm(formdata=None, prefix=f"c{b.id}", meta=SHOWN)
                         for b in bookings},
        contact_form=forms.get("contact") or ContactForm(formdata=None, prefix="contact", meta=SHOWN),
        needs_form=forms.get("needs") or _needs_form(profile),
        document_form=forms.get("document") or _document_form(document),
        language=current_user.language,
        document_expiring=document is not None and any(not travel[b.id].document_valid for b in bookings),
    )
    access.log_access(current_user, current_user.id, "view", "own travel page: document, contacts, needs")
    page = render_template("travel/tourist/index.html", **context)
    commit()
    return page, form_status() if forms else 200


def _own_change(what: str, action: Callable[[], T]) -> Callable[[], T]:
    """``action``, logged: the tourist changed their own travel data."""
    return access.changing(current_user, current_user.id, what, action)


def _back(anchor: str = ""):
    return redirect(url_for("travel.tourist.index") + (f"#{anchor}" if anchor else ""))


@bp.get("")
@tourist_only
def index():
    return _page()


@bp.post("/bookings/<reference>/arrival")
@tourist_only
def arrival(reference: str):
    booking = own_booking(reference)
    form = ArrivalForm(prefix=f"a{booking.id}")
    form.booking = booking
    if form.validate_on_submit():
        saved, _result = save(form, _own_change(f"arrival details ({booking.reference})",
                                                lambda: details.save_arrival(booking, form.data_for_service())))
        if saved:
            flash(_("Your arrival details are saved."), "success")
            return _back(f"booking-{booking.reference}")
    return _page(**{f"arrival_{booking.id}": form})


@bp.post("/bookings/<reference>/companions")
@tourist_only
def add_companion(reference: str):
    booking = own_booking(reference)
    form = CompanionForm(prefix=f"c{booking.id}")
    if form.validate_on_submit():
        saved, companion = save(form, _own_change(f"companion added ({booking.reference})",
                                                  lambda: details.add_companion(booking, form.data_for_service())))
        if saved:
            flash(_("%(name)s is on your list for the launch.", name=companion.name), "success")
            return _back(f"booking-{booking.reference}")
    return _page(**{f"companion_{booking.id}": form})


@bp.post("/bookings/<reference>/companions/<int:companion_id>/remove")
@tourist_only
def remove_companion(reference: str, companion_id: int):
    booking = own_booking(reference)
    if not ActionForm().validate_on_submit():
        abort(400)
    attempt(_own_change(f"companion removed ({booking.reference})",
                        lambda: details.remove_companion(booking, companion_id)), _("Removed from your list."))
    return _back(f"booking-{booking.reference}")


@bp.post("/contacts")
@tourist_only
def add_contact():
    form = ContactForm(prefix="contact")
    if form.validate_on_submit():
        saved, _contact = save(form, _own_change("emergency contact added",
                                                 lambda: details.add_contact(current_user, form.data_for_service())))
        if saved:
            flash(_("Your emergency contact is saved."), "success")
            return _back("contacts")
    return _page(contact=form)


@bp.post("/contacts/<int:contact_id>/remove")
@tourist_only
def remove_contact(contact_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    attempt(_own_change("emergency contact removed", lambda: details.remove_contact(current_user, contact_id)),
            _("The contact is removed."))
    return _back("contacts")


@bp.post("/contacts/decline")
@tourist_only
def decline_contacts():
    if not ActionForm().validate_on_submit():
        abort(400)
    attempt(_own_change("declined to give an emergency contact", lambda: details.decline_contacts(current_user)),
            _("Recorded: you decline to give an emergency contact. You can add one at any time."))
    return _back("contacts")


@bp.post("/needs")
@tourist_only
def needs():
    form = NeedsForm()
    if form.validate_on_submit():
        saved, _result = save(form, _own_change("dietary and accessibility needs", lambda: details.save_needs(
            current_user, form.dietary.data or "", form.accessibility.data or "")))
        if saved:
            flash(_("Your needs are saved."), "success")
            return _back("needs")
    return _page(needs=form)


@bp.post("/document")
@tourist_only
def document():
    form = DocumentForm()
    if form.validate_on_submit():
        saved, _result = save(form, _own_change("travel document",
                                                lambda: details.save_document(current_user, form.data_for_service())))
        if saved:
            flash(_("Your travel document is saved."), "success")
            return _back("document")
    return _page(document=form)
