"""Operations keep the documents: create one for every flight, a vehicle, a spaceport or a flight;
publish versions in the six languages after a preview that says whom it asks again; see, per
flight, who has not opened, signed or acknowledged what, and remind them; read the evidence of any
acceptance. (Tourists' questions about documents are answered at the desk.)"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.config import LANGUAGES
from app.documents import documents
from app.documents.evidence import acceptance_pdf
from app.errors import ServiceError
from app.extensions import db
from app.models import (
    Acceptance,
    Booking,
    BookingState,
    Document,
    DocumentEvent,
    DocumentVersion,
    Flight,
)
from app.transactions import commit, rollback
from blueprints.access import ops_only
from blueprints.documents.forms import NewDocumentForm, VersionForm
from blueprints.forms import ActionForm, attempt, form_status, save

#: Acceptances listed on a version's page, newest first.
ACCEPTANCES_SHOWN = 500
bp = Blueprint("operations", __name__, url_prefix="/ops")


def _language() -> str:
    return current_user.language


# -- documents and versions ---------------------------------------------------------------------------

def _new_form(**kw) -> tuple[NewDocumentForm, list[str]]:
    """The new document's form, its flights to choose from, and the names a vehicle's or a
    spaceport's document may give (for the form's list of them)."""
    flights, names = documents.scopes()
    form = NewDocumentForm(**kw)
    form.flight_id.choices = [(0, "—")] + [(id_, f"{name} ({launch_at:%Y-%m-%d})") for id_, name, launch_at in flights]
    return form, names


def _list_page(form: NewDocumentForm, scope_names: list[str]):
    return render_template("documents/operations/documents.html", documents=documents.listed(_language()), form=form,
                           scope_names=scope_names), form_status()


@bp.get("/documents")
@ops_only
def documents_index():
    return _list_page(*_new_form(formdata=None))


@bp.post("/documents")
@ops_only
def new_document():
    form, scope_names = _new_form()
    if form.validate_on_submit():
        saved, document = save(form, lambda: documents.create_document(form.data_for_service(), current_user))
        if saved:
            flash(_("Document created: write its first version."), "success")
            if documents.matches_no_flight(document):
                flash(_("No flight names “%(name)s” as its vehicle or spaceport yet: the document applies to "
                        "nobody until one does. Check the spelling against the flights.", name=document.scope_name),
                      "warning")
            return redirect(url_for("documents.operations.document", document_id=document.id))
    return _list_page(form, scope_names)


def _document(document_id: int) -> Document:
    # With its flight (a one-flight document's page names it).
    return db.session.get(Document, document_id, options=[joinedload(Document.flight)]) or abort(404)


def _versions(document: Document) -> list[DocumentVersion]:
    """The document's versions, newest first, with their texts and publishers (in one statement:
    a document has a few versions, each a text per language)."""
    return list(db.session.scalars(
        select(DocumentVersion).where(DocumentVersion.document_id == document.id)
        .options(joinedload(DocumentVersion.texts), joinedload(DocumentVersion.published_by))
        .order_by(DocumentVersion.version.desc())).unique())


def _document_page(document: Document, form: VersionForm, *, preview: bool = False, impact=None,
                   versions: list[DocumentVersion] | None = None):
    if versions is None:
        versions = _versions(document)
    return render_template(
        "documents/operations/document.html", document=document, versions=versions, form=form, preview=preview,
        impact=impact, draft=form.draft() if preview else None, languages=LANGUAGES, language=_language(),
        archive_form=ActionForm(formdata=None),
    ), (200 if request.method == "GET" or preview else form_status())


@bp.route("/documents/<int:document_id>", methods=["GET", "POST"])
@ops_only
def document(document_id: int):
    """A document's versions, and the next one to publish: first a preview of every language and
    of whom it would ask again, then the confirmation that publishes it."""
    document = _document(document_id)
    form = VersionForm(formdata=None if request.method == "GET" else request.form)
    form.document = document
    if request.method == "GET":
        versions = _versions(document)  # the page lists them: the latest is the form's start
        current = versions[0] if versions else None
        for text in current.texts if current else []:
            form[f"title_{text.language}"].data, form[f"body_{text.language}"].data = text.title, text.body
        form.based_on.data = str(current.version if current else 0)
        return _document_page(document, form, versions=versions)
    if document.archived_at is not None:
        flash(_("This document is archived: it is no longer asked of anyone."), "error")
        return redirect(url_for("documents.operations.document", document_id=document.id))
    if not form.validate_on_submit() or form.confirmed.data == "edit":
        return _document_page(document, form)
    if form.confirmed.data != "yes":
        return _document_page(document, form, preview=True,
                              impact=documents.impact(document, form.draft().material))
    saved, version = save(form, lambda: documents.publish_version(document, form.draft(), current_user))
    if not saved:
        # Refused because another version was published meanwhile: the page lists it now, and
        # publishing again after reading it goes through.
        latest = documents.latest_version(document)
        form.based_on.data = str(latest.version if latest else 0)
        return _document_page(document, form)
    flash(_("Version %(v)s is published.", v=version.version), "success")
    return redirect(url_for("documents.operations.document", document_id=document.id))


@bp.post("/documents/<int:document_id>/archive")
@ops_only
def archive(document_id: int):
    document = _document(document_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    attempt(lambda: documents.archive_document(document),
            _("The document is archived: it is no longer asked of anyone. What was accepted stays."))
    return redirect(url_for("documents.operations.documents_index"))


@bp.get("/documents/versions/<int:version_id>")
@ops_only
def version(version_id: int):
    version = db.session.get(DocumentVersion, version_id) or abort(404)
    # Every acceptance of this version, whatever became of the booking or the document since: the
    # way to the evidence of a superseded version, an archived document or a cancelled booking.
    acceptances = list(db.session.scalars(
        select(Acceptance).where(Acceptance.version_id == version.id)
        .options(selectinload(Acceptance.user), selectinload(Acceptance.booking))
        .order_by(Acceptance.accepted_at.desc(), Acceptance.id.desc()).limit(ACCEPTANCES_SHOWN + 1)))
    return render_template("documents/operations/version.html", version=version, document=version.document,
                           languages=LANGUAGES, acceptances=acceptances[:ACCEPTANCES_SHOWN],
                           more=len(acceptances) > ACCEPTANCES_SHOWN)


# -- per flight ---------------------------------------------------------------------------------------

@bp.get("/flights/<int:flight_id>/documents")
@ops_only
def flight(flight_id: int):
    """Tourists of the flight × the documents it needs, each cell its state."""
    flight = db.session.get(Flight, flight_id) or abort(404)
    needed = documents.published([flight])[flight.id]
    rows = documents.flight_table(flight.id, needed)
    show = request.args.get("show", "all")
    # Counted over everyone, whichever rows are shown, in one pass over the cells.
    done = {d.id: 0 for d, _v, _r in needed}
    document_ids = list(done)
    for row in rows:
        for document_id, cell in zip(document_ids, row.cells):
            if cell.done:
                done[document_id] += 1
    total = len(rows)
    if show == "open":
        rows = [row for row in rows if row.open]
    return render_template("documents/operations/flight.html", flight=flight, rows=rows, needed=needed,
                           done=done, total=total, show=show, language=_language(),
                           remind_form=ActionForm(formdata=None))


@bp.post("/flights/<int:flight_id>/documents/remind")
@ops_only
def remind(flight_id: int):
    """Remind one tourist (``booking``) or every tourist of the flight with a document open."""
    flight = db.session.get(Flight, flight_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    reference = (request.form.get("booking") or "")[:16]
    query = select(Booking).where(Booking.flight_id == flight.id,
                                  Booking.state.in_([BookingState.HELD, BookingState.CONFIRMED]))
    if reference:
        query = query.where(Booking.reference == reference)
    bookings = list(db.session.scalars(
        query.options(selectinload(Booking.flight), selectinload(Booking.user)).order_by(Booking.id)))
    if reference and not bookings:
        abort(404)
    try:
        told = len(documents.remind(bookings, current_user))
        commit()
    except ServiceError as exc:
        rollback()
        flash(exc.message, "error")
    else:
        flash(_("Nobody to remind: every document is done, or they were reminded within the last hour.") if not told else
              _("%(count)s tourists reminded.", count=told) if told > 1 else _("The tourist was reminded."),
              "success" if told else "info")
    return redirect(url_for("documents.operations.flight", flight_id=flight.id))


# -- evidence -----------------------------------------------------------------------------------------

@bp.get("/acceptances/<int:acceptance_id>")
@ops_only
def evidence(acceptance_id: int):
    """What was signed or acknowledged, exactly: the text in the language shown, its hash, and
    every event of that version for that booking. Printable."""
    acceptance = db.session.get(Acceptance, acceptance_id) or abort(404)
    version = acceptance.document_version
    text = next(t for t in version.texts if t.language == acceptance.language)
    events = list(db.session.scalars(
        select(DocumentEvent).where(DocumentEvent.booking_id == acceptance.booking_id,
                                    DocumentEvent.version_id == version.id).order_by(DocumentEvent.at, DocumentEvent.id)))
    return render_template("documents/operations/evidence.html", acceptance=acceptance, version=version, text=text,
                           events=events, verified=documents.text_hash(text.body) == acceptance.text_sha256)


@bp.get("/acceptances/<int:acceptance_id>.pdf")
@ops_only
def evidence_pdf(acceptance_id: int):
    """The same evidence as a PDF, for the operator's files."""
    acceptance = db.session.get(Acceptance, acceptance_id) or abort(404)
    response = make_response(acceptance_pdf(acceptance))
    response.mimetype = "application/pdf"
    name = f"{acceptance.booking.reference}-{acceptance.document.kind.value}-v{acceptance.version}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# -- questions ----------------------------------------------------------------------------------------

@bp.get("/questions")
@ops_only
def questions():
    """Questions about documents are conversations at the desk now: this address (in earlier
    emails and bookmarks) leads there."""
    return redirect(url_for("desk.staff.inbox", topic="documents"), 301)
