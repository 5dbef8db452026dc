"""The pages: a package per domain (and the core pages, and the tourist's journey across domains).

A domain with pages for several audiences has a route module per audience (``tourist``, ``staff``,
``operations``, ...), each a blueprint nested in the domain's, so an endpoint names both:
``medical.staff.queue``. Routes only parse input, check access, call the domain and render.
"""

from flask import Flask

from blueprints import (
    accounts,
    booking,
    desk,
    documents,
    flightops,
    medical,
    messages,
    payments,
    privacy,
    training,
    travel,
)
from blueprints.core.routes import bp as core
from blueprints.forms import field, install_html_params
from blueprints.journey.routes import bp as journey

BLUEPRINTS = (core, accounts.bp, booking.bp, documents.bp, journey, payments.bp, messages.bp, medical.bp,
              training.bp, travel.bp, flightops.bp, desk.bp, privacy.bp)


def register_blueprints(app: Flask) -> None:
    install_html_params()  # WTForms' widgets write the same HTML, faster (blueprints/forms.py)
    app.jinja_env.globals["form_field"] = field  # macros/forms.html's ``field``
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
