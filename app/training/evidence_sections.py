"""Training's part of a flown tourist's evidence pack: each module of the flight's plan passed
and valid on the launch date, the 14 CFR 460.51 topics it trained, the session and who signed
the pass off; and whether every 460.51 topic was covered."""

from __future__ import annotations

from flask_babel import get_locale
from sqlalchemy import select

from app import evidence, labels
from app.evidence import Line, Section
from app.extensions import db
from app.formats import when
from app.i18n import gettext as _
from app.models import Booking, SafetyTopic, User
from app.training import progress
from app.training.progress import ModuleState


def _sections(booking: Booking) -> list[Section]:
    mine = progress.progress_for([booking])[booking.id]
    if mine.plan is None:
        return [Section(_("Training (14 CFR 460.51)"), False, note=_("No training plan applied to this flight."))]
    language = str(get_locale() or "en")
    signers = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(
        [m.passed.signed_off_by_id for m in mine.modules if m.passed is not None and m.passed.signed_off_by_id])))}
    sections, covered = [], set()
    for m in mine.modules:
        title = _("Training: %(module)s", module=m.module.text(language))
        passed = m.passed
        if passed is None:
            sections.append(Section(title, False, note=_("Not passed.")))
            continue
        topics = [SafetyTopic(t) for t in m.module.topics or []]
        if m.state is ModuleState.PASSED:
            covered.update(topics)
        signer = signers.get(passed.signed_off_by_id)
        lines = [Line(_("Session"), when(passed.session.starts_at, "long", passed.session.timezone)),
                 Line(_("Signed off by"), f"{signer.name}, {when(passed.signed_off_at, 'long', 'UTC')}"
                      if signer and passed.signed_off_at else "—")]
        if topics:
            lines.append(Line(_("460.51 topics"), ", ".join(str(labels.SAFETY_TOPICS[t]) for t in topics)))
        if m.valid_until is not None:
            lines.append(Line(_("Valid until"), when(m.valid_until, "long", "UTC")))
        sections.append(Section(title, m.state is ModuleState.PASSED, lines,
                                note="" if m.state is ModuleState.PASSED else _("Not valid on the launch date.")))
    missing = [t for t in SafetyTopic if t not in covered]
    sections.append(Section(
        _("Every 14 CFR 460.51 topic trained"), not missing,
        [Line(_("Topics"), ", ".join(str(labels.SAFETY_TOPICS[t]) for t in SafetyTopic))],
        note=_("Not trained: %(topics)s.", topics=", ".join(str(labels.SAFETY_TOPICS[t]) for t in missing))
        if missing else ""))
    return sections


evidence.register("training", _sections, position=50)
