"""Demo data: training (``seed_training``). Six modules in the six languages, covering the four
topics of 14 CFR 460.51; a published plan for the suborbital spaceplane and one for the balloon
Neptune (the orbital capsule's is a draft, so its flight shows training not yet published); a
season of sessions at Spaceport America taught by the demo instructor; the demo tourist has passed
the emergency-procedures class and booked a centrifuge run; and the instructor has a session in
progress today with two participants to sign off."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Attendance,
    Booking,
    BookingState,
    Flight,
    ModuleKind,
    PlaceState,
    PlanItem,
    Result,
    SafetyTopic,
    SessionPlace,
    TrainingEvent,
    TrainingModule,
    TrainingPlan,
    TrainingSession,
    User,
)
from app.timeutil import now_utc
from app.training import plans

T = SafetyTopic
PLACE_ZONE = "America/Denver"  # Spaceport America, New Mexico

#: key -> (kind, minutes, topics, validity days, pass mark, prerequisites, {language: (name, description)})
MODULES: dict[str, tuple] = {
    "emergencies": (ModuleKind.CLASSROOM, 180, {T.SMOKE, T.FIRE, T.CABIN_PRESSURE, T.EMERGENCY_EXIT}, 365, None, [], {
        "en": ("Emergency procedures", "Smoke, fire, loss of cabin pressure and the emergency exit: what happens, what the crew does, and what you do."),
        "de": ("Notfallverfahren", "Rauch, Feuer, Druckverlust in der Kabine und der Notausstieg: was geschieht, was die Crew tut und was Sie tun."),
        "es": ("Procedimientos de emergencia", "Humo, fuego, pérdida de presión en la cabina y la salida de emergencia: qué ocurre, qué hace la tripulación y qué hace usted."),
        "pt": ("Procedimentos de emergência", "Fumo, fogo, perda de pressão na cabine e a saída de emergência: o que acontece, o que a tripulação faz e o que você faz."),
        "fr": ("Procédures d'urgence", "Fumée, feu, perte de pression cabine et sortie de secours : ce qui se passe, ce que fait l'équipage et ce que vous faites."),
        "it": ("Procedure di emergenza", "Fumo, fuoco, perdita di pressione in cabina e uscita di emergenza: cosa succede, cosa fa l'equipaggio e cosa fa Lei."),
    }),
    "centrifuge": (ModuleKind.CENTRIFUGE, 120, set(), 365, None, [], {
        "en": ("Centrifuge run", "Two runs up to 6 g, as on launch and re-entry, with a flight surgeon present."),
        "de": ("Zentrifugenlauf", "Zwei Läufe bis 6 g, wie beim Start und beim Wiedereintritt, mit einem Fliegerarzt."),
        "es": ("Sesión en centrifugadora", "Dos sesiones de hasta 6 g, como en el lanzamiento y la reentrada, con un médico de vuelo presente."),
        "pt": ("Sessão na centrifugadora", "Duas sessões até 6 g, como no lançamento e na reentrada, com um médico de voo presente."),
        "fr": ("Séance en centrifugeuse", "Deux séances jusqu'à 6 g, comme au lancement et à la rentrée, en présence d'un médecin de vol."),
        "it": ("Sessione in centrifuga", "Due sessioni fino a 6 g, come al lancio e al rientro, alla presenza di un medico di volo."),
    }),
    "fire_drill": (ModuleKind.SCENARIO_REHEARSAL, 120, {T.SMOKE, T.FIRE}, None, None, ["emergencies"], {
        "en": ("Cabin fire and smoke rehearsal", "In the capsule mock-up: smoke in the cabin, masks on, the extinguisher, and the crew's calls."),
        "de": ("Übung: Feuer und Rauch in der Kabine", "Im Kapselmodell: Rauch in der Kabine, Masken auf, der Feuerlöscher und die Ansagen der Crew."),
        "es": ("Ensayo de fuego y humo en cabina", "En la maqueta de la cápsula: humo en la cabina, máscaras puestas, el extintor y las órdenes de la tripulación."),
        "pt": ("Ensaio de fogo e fumo na cabine", "Na maqueta da cápsula: fumo na cabine, máscaras colocadas, o extintor e as ordens da tripulação."),
        "fr": ("Répétition feu et fumée en cabine", "Dans la maquette de la capsule : fumée en cabine, masques, extincteur et annonces de l'équipage."),
        "it": ("Esercitazione fuoco e fumo in cabina", "Nel modello della capsula: fumo in cabina, maschere, estintore e comandi dell'equipaggio."),
    }),
    "egress": (ModuleKind.EGRESS_DRILL, 90, {T.EMERGENCY_EXIT, T.CABIN_PRESSURE}, None, None, ["emergencies"], {
        "en": ("Egress drill", "Out of your seat and through the hatch in under 90 seconds, in the dark and at an angle."),
        "de": ("Ausstiegsübung", "Aus dem Sitz und durch die Luke in unter 90 Sekunden, im Dunkeln und in Schräglage."),
        "es": ("Simulacro de evacuación", "Fuera del asiento y por la escotilla en menos de 90 segundos, a oscuras e inclinado."),
        "pt": ("Simulacro de evacuação", "Fora do assento e pela escotilha em menos de 90 segundos, no escuro e inclinado."),
        "fr": ("Exercice d'évacuation", "Hors du siège et par l'écoutille en moins de 90 secondes, dans le noir et en position inclinée."),
        "it": ("Esercitazione di evacuazione", "Fuori dal sedile e attraverso il portello in meno di 90 secondi, al buio e inclinati."),
    }),
    "suit": (ModuleKind.SUIT_FITTING, 60, set(), None, None, [], {
        "en": ("Suit fitting", "Your flight suit fitted and checked, with its gloves and boots."),
        "de": ("Anzuganpassung", "Ihr Fluganzug wird angepasst und geprüft, mit Handschuhen und Stiefeln."),
        "es": ("Ajuste del traje", "Su traje de vuelo ajustado y comprobado, con guantes y botas."),
        "pt": ("Ajuste do fato", "O seu fato de voo ajustado e verificado, com luvas e botas."),
        "fr": ("Essayage de la combinaison", "Votre combinaison de vol ajustée et vérifiée, avec gants et bottes."),
        "it": ("Prova della tuta", "La Sua tuta di volo adattata e controllata, con guanti e stivali."),
    }),
    "exam": (ModuleKind.EXAM, 60, set(), None, 80, ["emergencies", "fire_drill", "egress"], {
        "en": ("Final safety exam", "Forty questions on what you have practised; 80 % passes."),
        "de": ("Abschlussprüfung Sicherheit", "Vierzig Fragen zu dem, was Sie geübt haben; ab 80 % bestanden."),
        "es": ("Examen final de seguridad", "Cuarenta preguntas sobre lo practicado; se aprueba con un 80 %."),
        "pt": ("Exame final de segurança", "Quarenta perguntas sobre o que praticou; aprova com 80 %."),
        "fr": ("Examen final de sécurité", "Quarante questions sur ce que vous avez pratiqué ; réussite à 80 %."),
        "it": ("Esame finale di sicurezza", "Quaranta domande su quanto ha esercitato; si supera con l'80 %."),
    }),
}

#: vehicle -> [(module key, deadline in days before launch)]; None publishes nothing (a draft).
PLANS = {
    "Suborbital spaceplane SV-2": [("centrifuge", 30), ("emergencies", 14), ("suit", 7), ("fire_drill", 3),
                                   ("egress", 3), ("exam", 1)],
    "Stratospheric balloon Neptune": [("emergencies", 7), ("fire_drill", 2), ("egress", 2), ("exam", 1)],
}
DRAFT_PLANS = {"Crew capsule Aurora": [("centrifuge", 60), ("emergencies", 30)]}

#: (module key, first day from today, sessions, days apart, hour at the place, place, capacity)
SESSIONS = [
    ("emergencies", 4, 8, 7, 9, "Spaceport America training centre, classroom 1", 8),
    ("centrifuge", 6, 6, 14, 10, "Centrifuge hall, Las Cruces", 2),
    ("suit", 5, 6, 10, 14, "Suit room, terminal building", 4),
    ("fire_drill", 8, 8, 7, 13, "Capsule mock-up, hangar 2", 6),
    ("egress", 9, 8, 7, 10, "Capsule mock-up, hangar 2", 6),
    ("exam", 10, 8, 7, 16, "Spaceport America training centre, classroom 1", 12),
]


def _module(key: str, made: dict[str, TrainingModule]) -> TrainingModule:
    kind, minutes, topics, validity, pass_mark, needs, texts = MODULES[key]
    module = TrainingModule(
        kind=kind, duration_minutes=minutes, topics=[t.value for t in SafetyTopic if t in topics],
        validity_days=validity, pass_mark=pass_mark, default_language="en",
        texts={lang: {"name": name, "description": description} for lang, (name, description) in texts.items()},
        prerequisites=[made[k] for k in needs],
    )
    db.session.add(module)
    return module


def _local(day_offset: int, hour: int):
    """``hour`` o'clock at the place, ``day_offset`` days from its today, in UTC."""
    zone = ZoneInfo(PLACE_ZONE)
    today = now_utc().astimezone(zone).date() + timedelta(days=day_offset)
    return now_utc().astimezone(zone).replace(year=today.year, month=today.month, day=today.day, hour=hour,
                                              minute=0, second=0, microsecond=0).astimezone(ZoneInfo("UTC"))


def _session(module: TrainingModule, starts, place: str, capacity: int, instructor: User) -> TrainingSession:
    session = TrainingSession(module=module, starts_at=starts, ends_at=starts + timedelta(minutes=module.duration_minutes),
                              timezone=PLACE_ZONE, place=place, capacity=capacity, instructors=[instructor])
    db.session.add(session)
    return session


def _place(session: TrainingSession, user: User, booking: Booking | None, instructor: User, *,
           passed: bool = False) -> None:
    place = SessionPlace(session=session, user_id=user.id, booking_id=booking.id if booking else None,
                         state=PlaceState.BOOKED)
    db.session.add(place)
    db.session.flush()
    db.session.add(TrainingEvent(place_id=place.id, kind="booked", actor_id=user.id))
    if passed:
        place.attendance, place.result = Attendance.PRESENT, Result.PASSED
        place.signed_off_at, place.signed_off_by_id = session.ends_at, instructor.id
        db.session.add(TrainingEvent(place_id=place.id, kind="attendance", value="present", actor_id=instructor.id))
        db.session.add(TrainingEvent(place_id=place.id, kind="result", value="passed", actor_id=instructor.id))


def _booking(user: User, flight: Flight | None) -> Booking | None:
    if flight is None:
        return None
    return db.session.scalar(select(Booking).where(
        Booking.user_id == user.id, Booking.flight_id == flight.id, Booking.state == BookingState.CONFIRMED))


def seed_training(instructor: User, ops: User, tourist: User, fillers: list[User], flights: dict[str, Flight]) -> bool:
    """Load the training demo once (when there are no modules yet); returns whether it did."""
    if db.session.scalar(select(func.count(TrainingModule.id))):
        return False
    made: dict[str, TrainingModule] = {}
    for key in MODULES:
        made[key] = _module(key, made)
    db.session.flush()
    for vehicle, items in {**PLANS, **DRAFT_PLANS}.items():
        plan = TrainingPlan(vehicle=vehicle)
        db.session.add(plan)
        for key, days in items:
            plan.items.append(PlanItem(module=made[key], deadline_days=days))
        db.session.flush()
        if vehicle in PLANS:
            plans.publish_plan(plan, ops)
    for key, first, count, apart, hour, place, capacity in SESSIONS:
        for n in range(count):
            _session(made[key], _local(first + n * apart, hour), place, capacity, instructor)
    # The demo tourist passed the class three weeks ago and has booked a centrifuge run.
    dawn = _booking(tourist, flights.get("Kármán Dawn"))
    past = _session(made["emergencies"], _local(-21, 9), "Spaceport America training centre, classroom 1", 8, instructor)
    _place(past, tourist, dawn, instructor, passed=True)
    centrifuge = db.session.scalars(
        select(TrainingSession).where(TrainingSession.module_id == made["centrifuge"].id)
        .order_by(TrainingSession.starts_at).limit(1)).first()
    db.session.flush()
    if dawn is not None:
        _place(centrifuge, tourist, dawn, instructor)
    # Today, in progress: an egress drill with the Kármán Twilight passengers, to sign off.
    today = _session(made["egress"], now_utc().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1),
                     "Capsule mock-up, hangar 2", 6, instructor)
    twilight = flights.get("Kármán Twilight")
    for filler in fillers:
        _place(past, filler, _booking(filler, twilight), instructor, passed=True)
        _place(today, filler, _booking(filler, twilight), instructor)
    db.session.flush()
    return True
