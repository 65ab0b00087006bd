"""Benchmark of the upload limits: zip bombs posted to a real server at once.

Starts gunicorn (3 sync workers, as in production) on a loopback port over a throwaway
database, logs a manager in, and posts three brat zips at the same moment, each a
500 MiB text of one repeated character that compresses to some 500 KB. Meanwhile a
fourth client asks for the login page over and over. Reports:

- each bomb's answer: its status, the problem the page names and how long it took;
- each worker's peak RSS (VmHWM from /proc/<pid>/status) before the bombs, and while
  and after they run (sampled every 50 ms, so a worker that is killed is counted);
- the login page's latency percentiles alone (before the bombs) and during them.

Usage, from the repository root:

    export DATABASE_URL="postgres://USER@/DBNAME?host=/path/to/socket/dir"
    .venv/bin/python scripts/bench_uploads.py [--bombs 3] [--mib 500] [--port 8765]

DATABASE_URL names the server and the credentials only: the script creates its own
database `test_annotate_bench_uploads_<pid>` next to it (migrated), serves it and drops
it at the end; the data in DATABASE_URL's database is never read or written.
"""

import argparse
import http.cookiejar
import io
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _bench import PLAIN_HTTP_PRODUCTION, code_version, require  # noqa: E402

os.environ["DJANGO_SETTINGS_MODULE"] = "annotate.settings"
os.environ["DEBUG"] = "0"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402

from annotate import projects  # noqa: E402

MIB = 1024 * 1024
PASSWORD = "bench-uploads-password"


def bomb(mib: int) -> bytes:
    """A brat zip of one empty .ann and its .txt: `mib` MiB of one repeated character."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("gold/bomb.ann", "")
        with archive.open("gold/bomb.txt", "w", force_zip64=True) as entry:
            block = b"a" * MIB
            for _ in range(mib):
                entry.write(block)
    return buffer.getvalue()


def server_environment(database: str) -> dict[str, str]:
    """The environment of the server: DATABASE_URL pointing at the throwaway database,
    plain HTTP on loopback, no static manifest."""
    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return {
        **os.environ,
        "DATABASE_URL": urllib.parse.urlunsplit(url._replace(path="/" + database)),
        **PLAIN_HTTP_PRODUCTION,
    }


def workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


class Client:
    """A browser's worth of HTTP: cookies, the CSRF token, multipart uploads."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def csrf(self) -> str:
        return next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken")

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, str]:
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=600) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def login(self, username: str) -> None:
        self.request("/accounts/login/")
        form = urllib.parse.urlencode(
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf()}
        ).encode()
        status, _ = self.request("/accounts/login/", form, {"Referer": self.base + "/accounts/login/"})
        require(
            status == 200 and any(cookie.name == "sessionid" for cookie in self.cookies), f"login failed ({status})"
        )

    def upload(self, path: str, file_name: str, content: bytes) -> tuple[int, str]:
        boundary = uuid.uuid4().hex
        fields = {"action": "preview", "unknown": "fail", "existing": "fail", "owner": ""}
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{file_name}"\r\n'
            "Content-Type: application/zip\r\n\r\n".encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-CSRFToken": self.csrf(),
            "Referer": self.base + path,
        }
        return self.request(path, b"".join(parts), headers)


def percentiles(samples: list[float]) -> str:
    if len(samples) < 2:
        return f"{len(samples)} requests"
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return (
        f"{len(samples)} requests, p50 {cuts[49]:.1f} ms, p90 {cuts[89]:.1f} ms, "
        f"p99 {cuts[98]:.1f} ms, max {max(samples):.1f} ms"
    )


def login_latencies(client: Client, stop: threading.Event, seconds: float | None = None) -> list[float]:
    """Milliseconds per login page, asked for one after another until `stop` (or for `seconds`)."""
    samples = []
    until = time.monotonic() + seconds if seconds else None
    while not stop.is_set() and (until is None or time.monotonic() < until):
        started = time.perf_counter()
        status, _ = client.request("/accounts/login/")
        samples.append((time.perf_counter() - started) * 1000)
        require(status == 200, f"the login page answered {status}")
    return samples


def run(database: str, port: int, count: int, mib: int) -> None:
    manager = User.objects.create_user("bench_manager", password=PASSWORD)
    projects.create_project(name="Bench uploads", slug="bench", manager=manager)
    content = bomb(mib)
    print(f"Bomb: {len(content) / 1024:.0f} KiB, unpacking to {mib} MiB ({mib * MIB:,} bytes).")
    print(
        f"Limits: upload {settings.ANNOTATE_MAX_UPLOAD_BYTES:,} B, "
        f"unpacked {settings.ANNOTATE_MAX_UNCOMPRESSED_BYTES:,} B, entry {settings.ANNOTATE_MAX_ENTRY_BYTES:,} B, "
        f"entries {settings.ANNOTATE_MAX_ARCHIVE_ENTRIES:,}."
    )
    base = f"http://127.0.0.1:{port}"
    gunicorn = [str(ROOT / ".venv/bin/gunicorn"), "annotate.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "3"]
    server = subprocess.Popen(gunicorn, cwd=ROOT, env=server_environment(database), stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/accounts/login/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        pids = workers(server.pid)
        require(len(pids) == 3, f"expected 3 workers, found {pids}")
        # Every worker serves a few pages first, so its peak is that of a working server.
        warm = Client(base)
        login_latencies(warm, threading.Event(), seconds=2)
        before = {pid: peak_rss_mb(pid) for pid in pids}
        alone = login_latencies(warm, threading.Event(), seconds=3)

        clients = [Client(base) for _ in range(count)]
        for client in clients:
            client.login("bench_manager")
            client.request("/p/bench/import/")
        answers: list[tuple[int, str, float] | None] = [None] * count
        start = threading.Barrier(count + 1)

        def post(number: int) -> None:
            start.wait()
            started = time.perf_counter()
            try:
                status, body = clients[number].upload("/p/bench/import/", f"bomb{number + 1}.zip", content)
            except OSError as error:  # a worker killed for its timeout closes the connection
                answers[number] = (0, f"no answer ({error})", time.perf_counter() - started)
                return
            problem = re.search(r"<li>([^<]*ANNOTATE_MAX[^<]*)</li>", body)
            answers[number] = (status, problem.group(1) if problem else body[:200], time.perf_counter() - started)

        def watch() -> None:
            # Sampled while the bombs run: a worker gunicorn kills takes its peak with it.
            while not stop.is_set():
                for pid in workers(server.pid):
                    try:
                        peaks[pid] = max(peaks.get(pid, 0), peak_rss_mb(pid))
                    except (OSError, AttributeError):
                        pass
                time.sleep(0.05)

        stop = threading.Event()
        during: list[float] = []
        peaks: dict[int, float] = {}
        threads = [threading.Thread(target=post, args=(number,)) for number in range(count)]
        for thread in threads:
            thread.start()
        probe = threading.Thread(target=lambda: during.extend(login_latencies(Client(base), stop)))
        watcher = threading.Thread(target=watch)
        watcher.start()
        start.wait()
        probe.start()
        for thread in threads:
            thread.join()
        stop.set()
        probe.join()
        watcher.join()
        for pid in workers(server.pid):
            peaks[pid] = max(peaks.get(pid, 0), peak_rss_mb(pid))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    print(f"\nCode: {code_version()}")
    for number, (status, problem, seconds) in enumerate(answers, start=1):
        print(f"bomb{number}.zip: {status} in {seconds * 1000:.0f} ms: {problem}")
    print("\nWorkers' peak RSS (VmHWM), MB: before → during and after the bombs (a new pid: a worker restarted)")
    for pid in sorted(set(before) | set(peaks)):
        print(f"  worker {pid}: {before.get(pid, 0):.0f} → {peaks.get(pid, 0):.0f}")
    print(f"\nLogin page alone:       {percentiles(alone)}")
    print(f"Login page during bombs: {percentiles(during)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bombs", type=int, default=3, help="bombs posted at once (default 3)")
    parser.add_argument("--mib", type=int, default=500, help="what each bomb unpacks to, in MiB (default 500)")
    parser.add_argument("--port", type=int, default=8765, help="the loopback port to serve on (default 8765)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit(f"This benchmark runs on PostgreSQL; DATABASE_URL gives {connection.vendor}.")
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    connection.settings_dict["TEST"]["NAME"] = f"test_annotate_bench_uploads_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=False, serialize=False, keepdb=False)
    try:
        database = connection.settings_dict["NAME"]
        connection.close()
        run(database, args.port, args.bombs, args.mib)
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
