"""The deployment recipe (docs/deploy.md) holds: its systemd units parse, run commands
that exist with options they take, and its environment file names exactly the settings
annotate/settings.py reads from the environment."""

import ast
import configparser
import importlib
import re
import shlex
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


def exec_start(name: str) -> list[str]:
    command = unit(name)["Service"]["ExecStart"]
    for specifier, value in SPECIFIERS.items():
        command = command.replace(specifier, value)
    return shlex.split(command)


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


def test_the_recipe_has_a_web_unit_and_a_templated_worker_unit():
    assert sorted(path.name for path in UNITS.iterdir()) == ["annotate-web.service", "annotate-worker@.service"]


@pytest.mark.parametrize("name", ["annotate-web.service", "annotate-worker@.service"])
def test_a_unit_file_parses_as_systemd_ini_with_its_three_sections(name):
    parsed = unit(name)

    assert parsed.sections() == ["Unit", "Service", "Install"]
    assert (parsed["Service"]["WorkingDirectory"], parsed["Service"]["EnvironmentFile"]) == (
        "/srv/annotate",
        "/etc/annotate/annotate.env",
    )
    assert parsed["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.parametrize("name", ["annotate-web.service", "annotate-worker@.service"])
def test_a_unit_runs_a_program_of_the_installed_code_and_writes_only_to_media_root(name):
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


def test_the_worker_unit_runs_db_worker_with_options_it_takes_and_an_id_per_instance():
    program, script, command, *arguments = exec_start("annotate-worker@.service")
    options = load_command_class(get_commands()[command], command).create_parser("manage.py", command)
    parsed = options.parse_args(arguments)

    assert (Path(program).name, script, command) == ("python", "manage.py", "db_worker")
    assert (parsed.reload, parsed.worker_id) == (False, "app1-1")
    assert "%i" in unit("annotate-worker@.service")["Service"]["ExecStart"]


def test_the_worker_unit_stops_with_sigterm_and_waits_for_the_job_it_runs():
    service = unit("annotate-worker@.service")["Service"]

    assert (service["KillSignal"], service["TimeoutStopSec"]) == ("SIGTERM", "15min")


def test_the_env_example_names_exactly_the_settings_read_from_the_environment():
    assert set(env_example()) == settings_read_from_environment()
