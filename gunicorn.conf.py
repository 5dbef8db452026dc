"""gunicorn's settings file, read from the directory gunicorn starts in (the bench's and the README's
``gunicorn ... 'app:create_app()'``, run from the project's folder). Only what the command line
does not say: the workers, address and app stay on it.

Each worker loads the app itself, which leaves about 230,000 objects (modules, SQLAlchemy's
mappers, Babel's data, compiled templates) that live as long as the worker does. Python's cyclic
garbage collector went through all of them in every full collection: about a seventh of a second
of CPU once every few thousand requests, and a request that waits for it. ``gc.freeze()`` once
the app is loaded sets them aside, so full collections go through what requests leave behind
only (about a tenth of the time); they are never freed anyway.
"""

import gc


def post_worker_init(worker):
    """After the worker has loaded the app: set what it loaded aside from the collector."""
    gc.collect()
    gc.freeze()
