"""Bind Celery to the Flask app: every task runs inside an app context."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask
from kombu.transport import sqlalchemy as kombu_sqla

from worker import tasks  # noqa: F401  (its shared tasks join every Celery app made here)
from worker.schedule import BEAT_SCHEDULE

# kombu hands every broker transport option to create_engine(), so the SQLAlchemy transport's
# polling interval can only be set on the class (see TOOLING.md).
kombu_sqla.Transport.polling_interval = 0.5


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.import_name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.conf.beat_schedule = BEAT_SCHEDULE
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
