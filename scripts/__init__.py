"""Developer scripts run as modules (``python -m scripts.<name>``); not part of the app."""
