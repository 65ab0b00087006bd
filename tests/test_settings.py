"""Production settings come from the environment and pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    unset = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {key: value for key, value in os.environ.items() if key not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_check_deploy_reports_nothing_with_production_variables_set():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="x7#kq-2!vd93mlz0w8p4u&t1s6ey5rfj*ahbnc-gqo-9i_zx3lwp",
        ALLOWED_HOSTS="annotate.example.org",
        DATABASE_URL="sqlite:////tmp/annotate-deploy-check.sqlite3",
    )

    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "System check identified no issues (0 silenced).\n",
        "",
    )


def test_check_deploy_flags_the_development_secret_key():
    result = manage("check", "--deploy", "--fail-level", "WARNING", DATABASE_URL="sqlite:////tmp/x.sqlite3")

    assert result.returncode == 1
    assert "security.W009" in result.stderr
