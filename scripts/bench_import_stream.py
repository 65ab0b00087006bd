"""Benchmark of a lab-sized import through the worker: time, peak memory and when the
job's page first shows progress.

Writes (once) a JSON Lines file the shape of a lab's export: `--articles` articles
(20,000), each with a layer per annotator (`--annotators`, 20) of six units and three
relations, about 420 MB in all, 2.4 M units. Then, for each code tree given (`--code`,
the repository itself by default; give an extracted copy of another commit to compare,
e.g. `git archive main | tar -x -C /tmp/main-code`), a fresh process migrates a
throwaway database with that tree's migrations, makes the project and its annotators,
queues the file's import as the import page does (`jobs.enqueue_import`) and runs it
with the real worker (`manage.py run_worker --batch`). Reports per tree:

- the job's outcome and the worker's time (the job's started_at to finished_at);
- the process's peak RSS (VmHWM from /proc/self/status, which counts everything the
  import held at once);
- when the job's page would first show a count above 0 (a thread reads the job's row
  every 0.2 s through its own connection), and the phases seen.

Usage, from the repository root:

    export DATABASE_URL="postgres://USER@/DBNAME?host=/path/to/socket/dir"
    .venv/bin/python scripts/bench_import_stream.py [--articles 20000] [--annotators 20] \\
        [--file /tmp/lab-import.jsonl] [--code . --code /tmp/main-code]

DATABASE_URL names the server and the credentials only: each run creates its own
database `test_annotate_bench_import_<pid>` next to it and drops it at the end.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELS = [
    ("MajorClaim", {}),
    ("Claim", {"stance": "For"}),
    ("Premise", {}),
    ("Premise", {}),
    ("Claim", {}),
    ("Premise", {}),
]


def write_file(path: Path, *, articles: int, annotators: int) -> None:
    """A lab's export: each article about 1,700 characters of prose, each layer six units
    (quoting a clause of about 40 characters each) and three relations."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import orjson
    from _bench import CLAUSES, SUBJECTS, VERBS

    rng = random.Random(20_000)
    owners = [f"annotator{number:02d}" for number in range(annotators)]
    with open(path, "wb") as file:
        for number in range(articles):
            clauses = [rng.choice(CLAUSES) for _ in range(30)]
            sentences = [f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {clause}." for clause in clauses]
            text = f"Op-ed {number}. " + " ".join(sentences)
            # Each unit is a sentence's clause: where it starts in the text, and its length.
            starts, at = [], len(f"Op-ed {number}. ")
            for sentence, clause in zip(sentences, clauses, strict=True):
                starts.append(at + sentence.index(clause))
                at += len(sentence) + 1
            layers = []
            for owner in owners:
                picked = sorted(rng.sample(range(len(sentences)), len(LABELS)))
                units = []
                for index, (sentence, (label, attributes)) in enumerate(zip(picked, LABELS, strict=True), start=1):
                    start = starts[sentence]
                    end = start + len(clauses[sentence])
                    units.append(
                        {"id": f"T{index}", "label": label, "spans": [[start, end]], "text": [text[start:end]],
                         "attributes": attributes, "note": ""}
                    )  # fmt: skip
                relations = [
                    {"id": f"R{index}", "type": "supports" if index % 2 else "attacks", "source": f"T{index + 2}",
                     "target": f"T{index + 1}"}
                    for index in range(1, 4)
                ]  # fmt: skip
                layers.append(
                    {
                        "owner": owner,
                        "status": "finished",
                        "document_stance": "",
                        "units": units,
                        "relations": relations,
                    }
                )
            line = {"id": str(number), "title": f"Op-ed {number}", "author": "", "outlet": "", "url": "",
                    "published": "", "metadata": {}, "text": text, "layers": layers}  # fmt: skip
            file.write(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))


def child(code: Path, file: Path, annotators: int) -> None:
    """Run in a fresh process with `code` first on the path: one import, measured."""
    sys.path.insert(0, str(code))
    os.chdir(code)
    os.environ["DJANGO_SETTINGS_MODULE"] = "annotate.settings"
    os.environ["DEBUG"] = "0"
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-import-media-")
    os.environ["ANNOTATE_MAX_PROJECT_STORED_BYTES"] = str(4 * 1024**3)
    import django

    django.setup()
    from django.core.files import File
    from django.core.management import call_command
    from django.db import connection

    connection.settings_dict["TEST"]["NAME"] = f"test_annotate_bench_import_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=False)
    try:
        from django.contrib.auth.models import User

        from annotate import jobs, projects
        from annotate.models import Job, Role

        manager = User.objects.create_user("manager")
        project = projects.create_project(name="Lab", slug="lab", manager=manager)
        for number in range(annotators):
            user = User.objects.create_user(f"annotator{number:02d}")
            projects.set_member(project=project, user=user, role=Role.ANNOTATOR, by=None)
        with open(file, "rb") as opened:
            job = jobs.enqueue_import(
                project=project, user=manager, uploads=[File(opened, name=file.name)], unknown="fail",
                existing="fail", owner="",
            )  # fmt: skip
        seen: list[tuple[float, str, int, int]] = []
        stop = threading.Event()

        def watch() -> None:
            from django.db import connection as own

            started = None
            while not stop.is_set():
                row = Job.objects.filter(pk=job.pk).values_list("status", "phase", "done", "total").get()
                if row[0] == "running" and started is None:
                    started = time.monotonic()
                if started is not None:
                    seen.append((time.monotonic() - started, row[1], row[2], row[3]))
                time.sleep(0.2)
            own.close()

        watcher = threading.Thread(target=watch)
        watcher.start()
        call_command("run_worker", batch=True, startup_delay=False, interval=0, verbosity=0)
        stop.set()
        watcher.join()
        job.refresh_from_db()
        peak = int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0]) / 1024
        first = next(((t, phase) for t, phase, done, total in seen if done > 0), (None, ""))
        phases = []
        for t, phase, _done, total in seen:
            if not phases or phases[-1][0] != phase:
                phases.append((phase, round(t, 1), total))
        print(
            json.dumps(
                {
                    "status": job.status,
                    "message": job.message,
                    "problems": job.problems[:3],
                    "summary": (job.result or {}).get("summary"),
                    "seconds": (job.finished_at - job.started_at).total_seconds(),
                    "peak_rss_mb": round(peak),
                    "first_count_after_s": None if first[0] is None else round(first[0], 1),
                    "first_count_phase": first[1],
                    "phases": phases,
                }
            )
        )
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(os.environ["MEDIA_ROOT"], ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--annotators", type=int, default=20)
    parser.add_argument("--file", type=Path, default=Path(tempfile.gettempdir()) / "bench-lab-import.jsonl")
    parser.add_argument("--code", type=Path, action="append", help="A code tree to measure (repeatable).")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.code[0].resolve(), args.file.resolve(), args.annotators)
        return
    if not args.file.exists():
        started = time.monotonic()
        write_file(args.file, articles=args.articles, annotators=args.annotators)
        print(f"Wrote {args.file} ({args.file.stat().st_size / 1e6:,.0f} MB) in {time.monotonic() - started:.0f} s")
    size = args.file.stat().st_size
    print(f"File: {args.file}, {size:,} bytes, {args.articles:,} articles × {args.annotators} annotators")
    for code in args.code or [ROOT]:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=code, capture_output=True, text=True
            ).stdout.strip()
            or code.name
        )
        answer = subprocess.run(
            [sys.executable, __file__, "--child", "--code", str(code), "--file", str(args.file),
             "--annotators", str(args.annotators)],
            capture_output=True, text=True,
        )  # fmt: skip
        if answer.returncode:
            print(f"{code} ({commit}): failed\n{answer.stderr[-3000:]}")
            continue
        print(f"{code} ({commit}): {answer.stdout.strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()
