"""Demo data: documents (``seed_documents``). The reciprocal waiver of claims (14 CFR 460.49) and
the prohibited-items notice (460.53) for every flight, and two mission briefings for the
spaceplane's flights (the flight profile and the launch-day timeline), in English and German. The
demo tourist has signed the waiver, acknowledged the prohibited items and the flight profile, and
not yet the launch-day timeline."""

from __future__ import annotations

from sqlalchemy import func, select

from app.documents import documents
from app.extensions import db
from app.models import (
    Acceptance,
    Booking,
    BookingState,
    Document,
    DocumentEvent,
    DocumentEventKind,
    DocumentKind,
    DocumentScope,
    User,
)

WAIVER = {
    "en": ("Reciprocal waiver of claims", """\
Under 14 CFR 460.49 and part 440, I, the spaceflight participant named below, execute this reciprocal
waiver of claims with the Federal Aviation Administration on behalf of the United States.

I waive, and agree not to bring, any claim for property damage, bodily injury or death arising from
the licensed activities against the United States, its agencies, the operator, its contractors and
subcontractors, and the other participants of this launch. The United States waives its claims
against me in the same way.

No one may sign this waiver for me, and I sign it for no one else. It is valid for the launch of my
flight, including after a change of its date."""),
    "de": ("Gegenseitiger Haftungsverzicht", """\
Nach 14 CFR 460.49 und Teil 440 erkläre ich, der unten genannte Raumflugteilnehmer, diesen
gegenseitigen Haftungsverzicht gegenüber der Federal Aviation Administration für die Vereinigten Staaten.

Ich verzichte auf alle Ansprüche wegen Sachschäden, Körperverletzung oder Tod aus den genehmigten
Tätigkeiten gegen die Vereinigten Staaten, ihre Behörden, den Betreiber, seine Auftragnehmer und
Unterauftragnehmer sowie die anderen Teilnehmer dieses Starts, und mache sie nicht geltend. Die
Vereinigten Staaten verzichten mir gegenüber in gleicher Weise.

Niemand kann diesen Verzicht für mich unterzeichnen, und ich unterzeichne ihn für niemanden sonst. Er
gilt für den Start meines Fluges, auch wenn sich dessen Datum ändert."""),
}
PROHIBITED = {
    "en": ("What you may not take on board", """\
Under 14 CFR 460.53 you may not carry on board explosives, firearms, knives or any other weapon.

Our vehicles add: loose objects of any kind (everything you take is stowed or tethered), lithium
batteries other than in the camera we issue, pressurised containers, liquids, food and drink of your
own, and magnets.

Your personal items (up to 500 g: a photograph, a ring, a small flag) are checked and packed with you
the day before launch."""),
    "de": ("Was Sie nicht an Bord mitnehmen dürfen", """\
Nach 14 CFR 460.53 dürfen Sie keine Sprengstoffe, Schusswaffen, Messer oder sonstigen Waffen an Bord
mitführen.

Unsere Fahrzeuge ergänzen: lose Gegenstände jeder Art (alles, was Sie mitnehmen, wird verstaut oder
gesichert), Lithium-Akkus außer in der Kamera, die wir ausgeben, Druckbehälter, Flüssigkeiten, eigene
Speisen und Getränke sowie Magnete.

Ihre persönlichen Gegenstände (bis 500 g: ein Foto, ein Ring, eine kleine Flagge) werden am Tag vor
dem Start mit Ihnen geprüft und verpackt."""),
}
PROFILE = {
    "en": ("Flight profile", """\
The carrier aircraft takes off from the runway and climbs for about 50 minutes to 15 km. The spaceplane
is released, its rocket motor burns for 60 seconds and takes you to about 3 g and Mach 3.

After the motor stops you have about four minutes of weightlessness above 80 km: your instructor tells
you when you may unbuckle. You are back in your seat before the descent, which reaches about 5 g.

The spaceplane glides back to the runway about 90 minutes after take-off."""),
    "de": ("Flugprofil", """\
Das Trägerflugzeug startet von der Piste und steigt in etwa 50 Minuten auf 15 km. Das Raumflugzeug wird
ausgeklinkt, sein Raketenmotor brennt 60 Sekunden und bringt Sie auf etwa 3 g und Mach 3.

Nach Brennschluss haben Sie oberhalb von 80 km etwa vier Minuten Schwerelosigkeit: Ihr Ausbilder sagt
Ihnen, wann Sie sich abschnallen dürfen. Vor dem Abstieg, der etwa 5 g erreicht, sitzen Sie wieder.

Das Raumflugzeug gleitet etwa 90 Minuten nach dem Start zur Piste zurück."""),
}
TIMELINE = {
    "en": ("Launch-day timeline", """\
L-5 h: breakfast with your crew and a last medical check.
L-4 h: suit-up; your companions see you off at the hangar.
L-3 h: walk to the vehicle; you are strapped in by the ground crew.
L-1 h: doors closed; communications check.
L-0: take-off. Your companions follow the flight live on their page.
L+1.5 h: landing, then a welcome with your companions and the crew."""),
    "de": ("Ablauf am Starttag", """\
S-5 h: Frühstück mit Ihrer Crew und letzte ärztliche Kontrolle.
S-4 h: Anlegen des Anzugs; Ihre Begleiter verabschieden Sie am Hangar.
S-3 h: Gang zum Fahrzeug; die Bodencrew schnallt Sie an.
S-1 h: Türen geschlossen; Funkprobe.
S-0: Start. Ihre Begleiter verfolgen den Flug live auf ihrer Seite.
S+1,5 h: Landung, dann Empfang mit Ihren Begleitern und der Crew."""),
}
SPACEPLANE = "Suborbital spaceplane SV-2"


def _publish(kind: DocumentKind, texts: dict, actor: User, *, scope: DocumentScope = DocumentScope.ALL,
             scope_name: str = "") -> Document:
    document = documents.create_document(documents.DocumentData(kind, scope, scope_name), actor)
    documents.publish_version(document, documents.Draft(texts), actor)
    return document


def _accept(booking: Booking, document: Document) -> None:
    version = documents.latest_version(document)
    text = version.text_in(booking.user.language)
    db.session.add(Acceptance(
        booking_id=booking.id, user_id=booking.user_id, document_id=document.id, version_id=version.id,
        version=version.version, language=text.language, text_sha256=text.sha256,
        signed_name=booking.user.name if document.kind.signed else "", ip_address="127.0.0.1",
        user_agent="countdown seed-demo",
    ))
    db.session.add(DocumentEvent(
        booking_id=booking.id, document_id=document.id, version_id=version.id, language=text.language,
        kind=DocumentEventKind.SIGNED if document.kind.signed else DocumentEventKind.ACKNOWLEDGED,
        actor_id=booking.user_id))


def seed_documents(ops: User, tourist: User, fillers: list[User]) -> bool:
    """Publish the demo documents, once; the demo tourist and the seat fillers have accepted some."""
    if db.session.scalar(select(func.count(Document.id)).where(Document.kind != DocumentKind.INFORMED_CONSENT)):
        return False
    waiver = _publish(DocumentKind.WAIVER, WAIVER, ops)
    prohibited = _publish(DocumentKind.PROHIBITED_ITEMS, PROHIBITED, ops)
    profile = _publish(DocumentKind.BRIEFING, PROFILE, ops, scope=DocumentScope.VEHICLE, scope_name=SPACEPLANE)
    _publish(DocumentKind.BRIEFING, TIMELINE, ops, scope=DocumentScope.VEHICLE, scope_name=SPACEPLANE)
    confirmed = {b.user_id: b for b in db.session.scalars(
        select(Booking).where(Booking.user_id.in_([tourist.id, *(f.id for f in fillers)]),
                              Booking.state == BookingState.CONFIRMED))}
    demo = confirmed.get(tourist.id)
    if demo is not None:
        for document in (waiver, prohibited, profile):
            _accept(demo, document)  # the launch-day timeline is still to read
    for user_id, booking in confirmed.items():
        if user_id != tourist.id:
            for document in (waiver, prohibited):
                _accept(booking, document)
    db.session.flush()
    return True
