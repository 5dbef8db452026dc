"""The consent domain's readiness gate: the informed consent is signed (other gates, the deposit's
among them, read what this one loaded under the key ``consent``)."""

from __future__ import annotations

from flask import url_for

from app.consent import consent
from app.formats import when
from app.i18n import lazy_gettext as _l
from app.models import Booking
from app.readiness import Gate, GateStatus, SimpleProvider, register


def _consent_gate(booking: Booking, statuses: dict[int, consent.ConsentStatus]) -> Gate:
    label = str(_l("Informed consent signed"))
    status = statuses[booking.id]
    sign_url = url_for("consent.tourist.sign", reference=booking.reference)
    if status.signed:
        return Gate(
            "consent", label, GateStatus.DONE,
            str(_l("Signed version %(v)s on %(date)s.", v=status.signature.document_version,
                   date=when(status.signature.signed_at))),
        )
    if status.current is None:
        return Gate("consent", label, GateStatus.WAITING,
                    str(_l("The operator has not published the consent document yet.")))
    if status.needs_resign:
        return Gate(
            "consent", label, GateStatus.ACTION,
            str(_l("Version %(v)s of the risk disclosure must be signed again.", v=status.current.version)),
            sign_url, str(_l("Read and sign")),
        )
    return Gate(
        "consent", label, GateStatus.ACTION,
        str(_l("Read the risk disclosure (version %(v)s), ask any questions, and sign it before "
               "paying.", v=status.current.version)),
        sign_url, str(_l("Read and sign")),
    )


register(SimpleProvider("consent", lambda bookings, earlier: consent.statuses(bookings), _consent_gate), position=20)
