"""Check the services the test suite needs, and say clearly what is missing.

Run by ``make test`` before pytest. On a developer's laptop a missing service is reported and the
tests that need it are skipped with that reason; under ``CI=true`` a missing service fails the run.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys

SERVICES = {
    "PostgreSQL": ("127.0.0.1", 5432, "the PostgreSQL half of the suite and the concurrency tests"),
    "Redis": ("127.0.0.1", 6379, "the Celery worker tests"),
}


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def missing_services() -> list[str]:
    missing = [
        f"{name} on {host}:{port} (needed for {why})"
        for name, (host, port, why) in SERVICES.items() if not reachable(host, port)
    ]
    if not os.path.exists(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")):
        missing.append("Debian's chromium at /usr/bin/chromium (needed for the browser tests; "
                       "`apt-get install -y chromium`)")
    if shutil.which("npm") is None:
        missing.append("npm (needed to install htmx, Pico CSS and axe-core)")
    return missing


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def main() -> int:
    missing = missing_services()
    if not missing:
        print("test services: PostgreSQL, Redis and chromium are all here.")
        return 0
    print("test services missing:")
    for item in missing:
        print(f"  - {item}")
    if in_ci():
        print("CI=true: a missing service is a failure.")
        return 1
    print("Tests that need them will be skipped, each saying why. Under CI=true this fails.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
