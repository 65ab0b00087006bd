"""scripts/test installs what the browser tests need with scripts/apt-wait, which waits
while another apt or dpkg holds the package locks instead of failing at once. Driven
here with a stand-in apt-get on PATH that answers as Debian's does."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKED = "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)"


def stand_in(tmp_path: Path, answers: list[tuple[int, str]]) -> dict:
    """An apt-get that gives `answers` (exit status, output) in turn and logs its calls."""
    script = tmp_path / "apt-get"
    (tmp_path / "calls").write_text("")
    lines = ["#!/usr/bin/env bash", f'n=$(wc -l < "{tmp_path}/calls")', f'echo "$*" >> "{tmp_path}/calls"']
    for number, (status, output) in enumerate(answers):
        lines.append(f'if [ "$n" -eq {number} ]; then echo "{output}"; exit {status}; fi')
    lines.append("exit 0")
    script.write_text("\n".join(lines) + "\n")
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}", "APT_WAIT_PAUSE": "0.05"}


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([ROOT / "scripts" / "apt-wait", *args], env=env, capture_output=True, text=True)


def calls(tmp_path: Path) -> list[str]:
    return (tmp_path / "calls").read_text().splitlines()


def test_a_held_lock_is_waited_for_and_the_command_goes_on_once_it_is_free(tmp_path):
    env = stand_in(tmp_path, [(100, LOCKED), (100, LOCKED), (0, "")])
    done = run(env, "update", "-qq")
    assert (done.returncode, done.stderr.count("Waiting for another apt or dpkg")) == (0, 2)
    assert calls(tmp_path) == ["-o DPkg::Lock::Timeout=600 update -qq"] * 3


def test_another_failure_is_reported_at_once(tmp_path):
    env = stand_in(tmp_path, [(100, "E: Unable to locate package chromium")])
    done = run(env, "install", "-y", "chromium")
    assert (done.returncode, done.stderr) == (1, "E: Unable to locate package chromium\n")
    assert len(calls(tmp_path)) == 1


def test_a_lock_held_past_the_deadline_gives_up_with_apts_message(tmp_path):
    env = {**stand_in(tmp_path, [(100, LOCKED)] * 1000), "APT_WAIT_SECONDS": "1"}
    done = run(env, "update")
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == LOCKED
