"""The deployment recipe (docs/deploy.md) holds: its systemd units parse, run commands
that exist with options they take, and its environment file names exactly the settings
annotate/settings.py reads from the environment."""

import argparse
import ast
import configparser
import importlib
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class
from gunicorn.config import Config

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "deploy/systemd"
ENV_EXAMPLE = ROOT / "deploy/annotate.env.example"
# A line `NAME=value` sets a variable; `#NAME=value` shows one at its default.
ASSIGNMENT = re.compile(r"^#?([A-Z][A-Z0-9_]*)=(.*)$")
# What systemd puts for the specifiers the units use: the instance and the host name.
SPECIFIERS = {"%i": "1", "%H": "app1"}


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True, interpolation=None, delimiters=("=",), comment_prefixes=("#",))
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string((UNITS / name).read_text(), source=name)
    return parser


def exec_start(name: str, key: str = "ExecStart") -> list[str]:
    command = unit(name)["Service"][key]
    for specifier, value in SPECIFIERS.items():
        command = command.replace(specifier, value)
    return shlex.split(command)


def manage_py(arguments: list[str]) -> tuple[str, argparse.Namespace]:
    """The command of a `python manage.py COMMAND OPTIONS...` line and its options, as
    the command's own parser reads them (it exits on an option it does not take)."""
    program, script, command, *options = arguments
    assert (Path(program).name, script) == ("python", "manage.py")
    parser = load_command_class(get_commands()[command], command).create_parser("manage.py", command)
    return command, parser.parse_args(options)


def settings_read_from_environment() -> set[str]:
    """The variables settings.py reads: `os.environ.get("X")`, `os.environ["X"]`,
    `env_bool("X")`, `env_list("X")`."""
    names = set()
    for node in ast.walk(ast.parse((ROOT / "annotate/settings.py").read_text())):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            if ast.unparse(node.func) in {"os.environ.get", "os.getenv", "env_bool", "env_list"}:
                names.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            if isinstance(node.slice, ast.Constant):
                names.add(node.slice.value)
    return names


def env_example() -> dict[str, str]:
    """The variables of the example environment file and their values, set or shown."""
    found = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if match := ASSIGNMENT.match(line):
            assert match.group(1) not in found, f"{match.group(1)} twice"
            found[match.group(1)] = match.group(2)
        else:
            assert line == "" or line.startswith("# ") or line == "#", f"not a comment or NAME=value: {line!r}"
    return found


def test_the_recipe_has_the_web_worker_and_housekeeping_units():
    assert sorted(path.name for path in UNITS.iterdir()) == [
        "annotate-prune.service",
        "annotate-prune.timer",
        "annotate-web.service",
        "annotate-worker@.service",
    ]


@pytest.mark.parametrize(
    ("name", "sections"),
    [
        ("annotate-web.service", ["Unit", "Service", "Install"]),
        ("annotate-worker@.service", ["Unit", "Service", "Install"]),
        ("annotate-prune.service", ["Unit", "Service"]),  # started by its timer
        ("annotate-prune.timer", ["Unit", "Timer", "Install"]),
    ],
)
def test_a_unit_file_parses_as_systemd_ini_with_its_sections(name, sections):
    assert unit(name).sections() == sections


@pytest.mark.parametrize("name", ["annotate-web.service", "annotate-worker@.service", "annotate-prune.service"])
def test_a_service_runs_as_the_app_account_with_the_settings_file(name):
    service = unit(name)["Service"]

    assert (service["User"], service["WorkingDirectory"], service["EnvironmentFile"]) == (
        "annotate",
        "/srv/annotate",
        "/etc/annotate/annotate.env",
    )


@pytest.mark.parametrize("name", ["annotate-web.service", "annotate-worker@.service", "annotate-prune.service"])
def test_a_service_runs_a_program_of_the_installed_code_and_writes_only_to_media_root(name):
    service = unit(name)["Service"]
    program = Path(exec_start(name)[0])

    # The code is installed in WorkingDirectory, so the program is a file of this tree.
    assert program.is_relative_to(service["WorkingDirectory"])
    assert (ROOT / program.relative_to(service["WorkingDirectory"])).exists()
    assert service["ReadWritePaths"] == env_example()["MEDIA_ROOT"]


def test_the_web_unit_runs_gunicorn_with_options_it_takes_on_the_wsgi_application():
    program, *arguments = exec_start("annotate-web.service")
    options = Config().parser().parse_args(arguments)
    module, _, attribute = options.args[0].partition(":")

    assert Path(program).name == "gunicorn"
    assert options.args == ["annotate.wsgi"]
    assert callable(getattr(importlib.import_module(module), attribute or "application"))
    assert (options.bind, options.workers) == (["127.0.0.1:8000"], 3)


def test_the_worker_unit_runs_run_worker_with_options_it_takes_and_an_id_per_instance():
    command, options = manage_py(exec_start("annotate-worker@.service"))

    assert (command, options.reload, options.worker_id) == ("run_worker", False, "app1-1")
    assert "%i" in unit("annotate-worker@.service")["Service"]["ExecStart"]


def test_the_worker_unit_stops_with_sigterm_and_waits_for_the_job_it_runs():
    service = unit("annotate-worker@.service")["Service"]

    assert (service["KillSignal"], service["TimeoutStopSec"]) == ("SIGTERM", "15min")


def test_the_env_example_names_exactly_the_settings_read_from_the_environment():
    assert set(env_example()) == settings_read_from_environment()


def test_the_housekeeping_unit_prunes_task_results_then_expired_exports_once_a_day():
    first, options = manage_py(exec_start("annotate-prune.service"))
    second, _ = manage_py(exec_start("annotate-prune.service", "ExecStartPost"))

    assert (first, options.min_age_days, second) == ("prune_db_task_results", 14, "prune_exports")
    assert unit("annotate-prune.timer")["Timer"]["OnCalendar"] == "daily"


def test_the_env_example_with_a_secret_key_of_its_own_passes_check_deploy(tmp_path):
    # The lines that set a variable, as systemd reads them; the rest at their defaults.
    active = dict(
        ASSIGNMENT.match(line).groups()
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    )
    environment = {"PATH": "/usr/bin:/bin", **active, "SECRET_KEY": secrets.token_urlsafe(50)}
    environment["MEDIA_ROOT"] = str(tmp_path / "media")

    finished = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )

    assert (finished.returncode, finished.stdout, finished.stderr) == (
        0,
        "System check identified no issues (0 silenced).\n",
        "",
    )
