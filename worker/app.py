"""Entry point for ``celery -A worker.app``: the Celery app of a Flask app made from the environment."""

from app import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
