"""Demo data: the customer service desk (``seed_desk``). Conversations in every state and several
languages: the demo tourist's answered question about installments (resolved, their rating still
to give), their SMS about parking near its response target, Sally's medical question in Spanish (medical staff only),
Mae's training question in French with an instructor's internal note, Yuri's travel question in
German, answered twice and waiting on his reply, Ivy's question about a document that went past its target and
was escalated, and an SMS from a number no account has verified; saved answers in several
languages; and closed conversations of the past weeks for the weekly figures. Made once."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.accounts import accounts
from app.desk import conversations, escalation, saved_answers
from app.extensions import db
from app.models import Booking, Channel, Conversation, PhoneVerification, Role, Topic, User
from app.timeutil import UTC, now_utc

SAVED_ANSWERS = [
    ("Balance by installments", Topic.BOOKING, {
        "en": "You can pay the balance in up to four installments before it is due. Choose the plan on your "
              "booking's payment page; each installment is charged to the card you saved, and you get a receipt.",
        "de": "Sie können den Restbetrag in bis zu vier Raten zahlen, bevor er fällig wird. Wählen Sie den Plan "
              "auf der Zahlungsseite Ihrer Buchung; jede Rate wird von der gespeicherten Karte abgebucht, und Sie "
              "erhalten eine Quittung.",
        "es": "Puede pagar el saldo en hasta cuatro plazos antes de su vencimiento. Elija el plan en la página de "
              "pago de su reserva; cada plazo se carga a la tarjeta guardada y recibirá un recibo.",
    }),
    ("What to bring to training", Topic.TRAINING, {
        "en": "Bring comfortable clothes, closed shoes, your passport and any medication you take. We provide "
              "flight suits and meals on training days.",
        "fr": "Apportez des vêtements confortables, des chaussures fermées, votre passeport et vos "
              "médicaments. Nous fournissons les combinaisons de vol et les repas les jours de formation.",
    }),
    ("Companions on launch day", Topic.TRAVEL, {
        "en": "Up to four companions may watch the launch from the viewing area. Add them on your travel page; "
              "they receive the launch-day news by SMS if you give their number.",
        "de": "Bis zu vier Begleitpersonen können den Start vom Zuschauerbereich aus verfolgen. Tragen Sie sie auf "
              "Ihrer Reiseseite ein; sie erhalten die Neuigkeiten am Starttag per SMS, wenn Sie ihre Nummer angeben.",
    }),
]


def seed_desk(ops: User, tourist: User, *, medic: User, instructor: User, coordinator: User) -> None:
    if db.session.scalar(select(Conversation.id).limit(1)) is not None:
        return
    now = now_utc()
    for title, topic, bodies in SAVED_ANSWERS:
        saved_answers.save(None, ops, title=title, topic=topic, active=True, bodies=bodies)
    # The demo tourist's number is verified: SMS from it land in their conversations.
    if tourist.phone and tourist.phone_verified_at is None:
        db.session.add(PhoneVerification(user_id=tourist.id, phone=tourist.phone, verified_at=now - timedelta(days=30)))
        db.session.flush()
    booking = db.session.scalar(select(Booking).where(Booking.user_id == tourist.id).order_by(Booking.id).limit(1))

    installments = conversations.start(
        tourist, topic=Topic.BOOKING, booking=booking, subject="Paying the balance in parts",
        body="Hello, can I pay the balance of my Kármán Dawn seat in several parts rather than at once?",
        now=now - timedelta(days=1, hours=3))
    conversations.reply(installments, ops, saved_answers.text_in(
        saved_answers.listed([Topic.BOOKING])[0], tourist.language), now=now - timedelta(days=1, hours=2))
    conversations.resolve(installments, ops, now=now - timedelta(hours=20))  # their rating still to give

    parking = conversations.file_sms(tourist.phone or "+12025550100", "Is there parking at Spaceport America for "
                                     "my family on launch day?", "SMdemo0000000000000000000000000001",
                                     now=now - timedelta(hours=3))
    if parking is not None:  # near its target (the last quarter of its wait) for the next three hours
        parking.waiting_since, parking.due_at = now - timedelta(hours=10), now + timedelta(hours=3)

    by_email = {u.email: u for u in db.session.scalars(select(User).where(User.role == Role.TOURIST))}
    sally, mae, yuri, ivy = (by_email.get(e) for e in (
        "sally@example.com", "mae@example.com", "yuri@example.com", "ivy@example.com"))
    if sally is not None:
        sally.language = sally.language if sally.language != "en" else "es"
        conversations.start(
            sally, topic=Topic.MEDICAL, subject="Medicación para la tensión",
            body="Tomo un betabloqueante para la tensión arterial. ¿Debo dejarlo antes del vuelo? Adjunto el "
                 "informe de mi cardióloga si hace falta.", now=now - timedelta(hours=2))
    if mae is not None:
        mae.language = "fr"
        training = conversations.start(
            mae, topic=Topic.TRAINING, subject="Séance de centrifugeuse",
            body="Bonjour, puis-je déplacer ma séance de centrifugeuse à la semaine suivante ? Je serai en "
                 "déplacement.", now=now - timedelta(hours=5))
        conversations.note(training, instructor, "Next week's centrifuge sessions are full; ask operations "
                                                 "whether a second run is planned.", now=now - timedelta(hours=4))
    if yuri is not None:
        yuri.language = "de"
        travel = conversations.start(
            yuri, topic=Topic.TRAVEL, subject="Begleitung am Starttag",
            body="Darf meine Frau am Starttag mitkommen und wo kann sie zusehen?", now=now - timedelta(days=6))
        conversations.reply(travel, coordinator, saved_answers.text_in(
            saved_answers.listed([Topic.TRAVEL])[0], "de"), now=now - timedelta(days=6) + timedelta(hours=2))
        conversations.tourist_writes(travel, yuri, "Danke! Braucht sie einen Ausweis?", now=now - timedelta(days=5))
        conversations.reply(travel, coordinator, "Ja, einen gültigen Reisepass; tragen Sie ihn bitte auf Ihrer "
                            "Reiseseite ein. Sollen wir auch für sie ein Hotelzimmer reservieren?",
                            now=now - timedelta(days=4, hours=20))
    if ivy is not None:
        conversations.start(
            ivy, topic=Topic.DOCUMENTS, subject="Waiver: who are the other participants?",
            body="The waiver says I waive claims against the other participants. Where can I see who they are?",
            now=now - timedelta(days=2))
    conversations.file_sms("+14155550199", "Hi, this is Ivy's husband. What time should we be at the viewing "
                           "area on launch day?", "SMdemo0000000000000000000000000002", now=now - timedelta(hours=1))
    _history(ops, coordinator, medic, instructor, now)
    escalation.sweep(now)
    db.session.flush()


def _history(ops: User, coordinator: User, medic: User, instructor: User, now) -> None:
    """Closed conversations of the past weeks, so the weekly figures have something to show."""
    people = [accounts.find_by_email(e) for e in ("yuri@example.com", "sally@example.com", "mae@example.com")]
    people = [p for p in people if p is not None]
    if not people:
        return
    staff = {Topic.BOOKING: ops, Topic.TRAVEL: coordinator, Topic.MEDICAL: medic, Topic.TRAINING: instructor}
    zone = ZoneInfo(current_app.config["DESK_TIMEZONE"])
    today = now.astimezone(zone).date()
    for week in range(1, 5):
        tuesday = today - timedelta(days=today.weekday() - 1, weeks=week)
        for n, (topic, who) in enumerate(staff.items()):
            person = people[(week + n) % len(people)]
            asked = datetime.combine(tuesday, time(9 + 2 * n, 10 * week), tzinfo=zone).astimezone(UTC)
            old = conversations.start(person, topic=topic, subject=f"Question {week}.{n + 1}",
                                      body="A question from an earlier week.", now=asked)
            old.last_channel = Channel.IN_APP
            conversations.reply(old, who, "Answered.", now=asked + timedelta(hours=1 + (week + n) % 5))
            conversations.resolve(old, who, now=asked + timedelta(days=1))
            conversations.rate(old, person, 3 + (week + n) % 3, now=asked + timedelta(days=1))
