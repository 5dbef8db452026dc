"""Routes and forms only: parse input, check access, call a service, render."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from blueprints.auth.routes import bp as auth
    from blueprints.bookings.routes import bp as bookings
    from blueprints.catalog.routes import bp as catalog
    from blueprints.consent.routes import bp as consent
    from blueprints.core.routes import bp as core
    from blueprints.health.routes import bp as health
    from blueprints.journey.routes import bp as journey
    from blueprints.medical.routes import bp as medical
    from blueprints.notifications.routes import bp as notifications
    from blueprints.ops.routes import bp as ops
    from blueprints.outbox.routes import bp as outbox
    from blueprints.payments.routes import bp as payments
    from blueprints.questionnaires.routes import bp as questionnaires
    from blueprints.twilio_webhooks.routes import bp as twilio_webhooks

    for bp in (core, auth, catalog, bookings, consent, journey, ops, outbox, payments, twilio_webhooks, notifications,
               medical, health, questionnaires):
        app.register_blueprint(bp)
