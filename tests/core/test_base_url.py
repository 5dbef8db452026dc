"""Every process agrees on BASE_URL, and a link never follows the request's Host header."""

import os
import subprocess
from pathlib import Path

from honcho.environ import expand_processes, parse_procfile

from app.config import load_config
from app.urls import external_url

ROOT = Path(__file__).resolve().parents[2]


def makefile_env(**overrides) -> dict[str, str]:
    """The environment `make run` hands to honcho: the Makefile's exports, printed by make itself."""
    env = {k: v for k, v in os.environ.items() if k not in ("BASE_URL", "PORT", "MAKEFLAGS", "MFLAGS")}
    env.update(overrides)
    out = subprocess.run(
        ["make", "-s", "--no-print-directory", "-f", "Makefile",
         "--eval", "_print_env: ; @echo \"$$PORT\" && echo \"$$BASE_URL\"", "_print_env"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout.split("\n")
    return {**env, "PORT": out[0], "BASE_URL": out[1]}


def process_configs(env: dict[str, str]) -> dict[str, dict]:
    procfile = parse_procfile((ROOT / "Procfile").read_text())
    processes = expand_processes(procfile.processes, env=env, port=int(env["PORT"]))
    return {p.name: load_config(dict(p.env)) for p in processes}


def test_web_and_worker_get_the_same_base_url_under_make_run():
    configs = process_configs(makefile_env())
    assert set(configs) == {"web.1", "worker.1"}
    assert {c["BASE_URL"] for c in configs.values()} == {"http://127.0.0.1:5000"}


def test_a_chosen_port_and_a_chosen_base_url_reach_every_process():
    assert {c["BASE_URL"] for c in process_configs(makefile_env(PORT="8000")).values()} == {"http://127.0.0.1:8000"}
    chosen = makefile_env(BASE_URL="https://countdown.example")
    assert {c["BASE_URL"] for c in process_configs(chosen).values()} == {"https://countdown.example"}


def test_a_link_made_in_a_request_starts_with_base_url_whatever_the_host(app):
    with app.test_request_context("/forgot", base_url="http://evil.example"):
        link = external_url("accounts.auth.reset_link", token="abc")
    assert link.startswith(app.config["BASE_URL"] + "/") and "evil.example" not in link
