"""The medical domain's readiness gate: cleared through launch. Its reasons name a status and never
a finding: operations read the same statuses in their matrix, without a link into the medical
file (medical details are for medical staff). Never overridable."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import url_for

from app.formats import on_day
from app.medical import cases as medical
from app.medical.cases import Clearance, tourist_page_url
from app.models import Booking
from app.readiness import Audience, Facts, Gate, GateStatus, SimpleProvider, Words, register
from app.readiness import mark as _l


@dataclass
class _Loaded:
    """Each booking's clearance status, and the page's words (translated once per page)."""
    statuses: dict
    words: Words = field(default_factory=Words)


def _medical_load(bookings: list[Booking], earlier: dict[str, Any]) -> _Loaded:
    facts = earlier.get("facts", {}).get("medical_clearance")  # the newest cases, in the engine's statement
    if facts is None:
        return _Loaded(medical.clearance_statuses(bookings))
    cases = {b.user_id: case for b in bookings if (case := medical.latest_case_of(b, facts[b.id])) is not None}
    return _Loaded(medical.clearance_statuses_of(bookings, cases))


#: What operations read per status: where the tourist's clearance stands, never why.
STAFF = {
    Clearance.NOT_STARTED: (GateStatus.ACTION, _l("Questionnaire not started.")),
    Clearance.ANSWERING: (GateStatus.ACTION, _l("Questionnaire not submitted yet.")),
    Clearance.WAITING_FOR_REVIEW: (GateStatus.WAITING, _l("Waiting for the medical team's review.")),
    Clearance.INFO_REQUESTED: (GateStatus.ACTION, _l("The medical team asked the tourist for more information.")),
    Clearance.NOT_CLEARED: (GateStatus.BLOCKED, _l("Not cleared for flight.")),
}


#: What the tourist reads per status, and the words of the link to their medical page.
TOURIST = {
    Clearance.NOT_STARTED: (GateStatus.ACTION, _l("Fill in the health questionnaire for the medical team."),
                            _l("Fill in the questionnaire")),
    Clearance.ANSWERING: (GateStatus.ACTION, _l("Finish and submit your health questionnaire."),
                          _l("Continue the questionnaire")),
    Clearance.WAITING_FOR_REVIEW: (GateStatus.WAITING, _l("The medical team is reviewing your questionnaire."),
                                   _l("Open your medical page")),
    Clearance.INFO_REQUESTED: (GateStatus.ACTION, _l("The medical team would like more information from you."),
                               _l("Answer the medical team")),
    Clearance.NOT_CLEARED: (GateStatus.BLOCKED, _l("The medical team could not clear you for flight."),
                            _l("Open your medical page")),
}


def _staff_gate(booking: Booking, status, label: str, words: Words) -> Gate:
    until = on_day(status.valid_until) if status.valid_until else ""
    if status.cleared and status.self_certification_due:
        return Gate("medical", label, GateStatus.ACTION,
                    words(_l("Cleared through %(date)s; the tourist's confirmation of unchanged health is due."),
                          date=until))
    if status.cleared:
        return Gate("medical", label, GateStatus.DONE, words(_l("Cleared through %(date)s."), date=until))
    if status.change_under_review:
        return Gate("medical", label, GateStatus.WAITING, words(_l("A reported change is under medical review.")))
    if status.status is Clearance.EXPIRES_BEFORE_LAUNCH:
        return Gate("medical", label, GateStatus.ACTION,
                    words(_l("The clearance ends on %(date)s, before the launch."), date=until))
    gate_status, reason = STAFF[status.status]
    return Gate("medical", label, gate_status, words(reason))


def _medical_gate(booking: Booking, loaded: _Loaded, audience: Audience) -> Gate:
    words = loaded.words
    label = words(_l("Medically cleared through launch"))
    status = loaded.statuses[booking.id]
    if audience is Audience.STAFF:
        return _staff_gate(booking, status, label, words)
    page = tourist_page_url()
    until = on_day(status.valid_until) if status.valid_until else ""
    if status.cleared and status.self_certification_due:
        return Gate(
            "medical", label, GateStatus.ACTION,
            words(_l("Cleared through %(date)s. Before launch, confirm that nothing about your health "
                     "has changed since your assessment."), date=until),
            url_for("medical.tourist.self_certification", reference=booking.reference),
            words(_l("Confirm your health")),
        )
    if status.cleared:
        return Gate("medical", label, GateStatus.DONE,
                    words(_l("Cleared through %(date)s, the launch date included."), date=until))
    if status.change_under_review:
        return Gate("medical", label, GateStatus.WAITING,
                    words(_l("The medical team is reviewing the change you reported.")),
                    page, words(_l("Open your medical page")))
    if status.status is Clearance.EXPIRES_BEFORE_LAUNCH:
        return Gate("medical", label, GateStatus.ACTION,
                    words(_l("Your clearance ends on %(date)s, before the launch: renew it."), date=until),
                    page, words(_l("Renew your clearance")))
    gate_status, reason, action = TOURIST[status.status]
    return Gate("medical", label, gate_status, words(reason), page, words(action))


def _medical_facts() -> Facts:
    """The newest case of each booking's tourist, joined once (:func:`medical.newest_case_facts`)."""
    return Facts(*medical.newest_case_facts())


register(SimpleProvider("medical_clearance", _medical_load, _medical_gate, facts=_medical_facts), position=40)
