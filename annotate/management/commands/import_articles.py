from contextlib import ExitStack
from functools import partial
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from annotate import datasets, job_limits, jobs
from annotate.formats import brat, registry
from annotate.formats.checks import FormatError
from annotate.management.commands._progress import Progress
from annotate.models import Project


class Command(BaseCommand):
    help = (
        "Import articles (.txt, .md, .html) and annotated datasets (.jsonl, brat .zip or directory) into a project. "
        "All or nothing: with any problem, nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="The project's slug.")
        parser.add_argument("paths", nargs="+", help="Files, or brat directories.")
        parser.add_argument(
            "--owner", default="", help='Whose layers brat files hold: "gold" or a username (default: the folder name).'
        )
        parser.add_argument(
            "--format", choices=[n for n, f in registry.FORMATS.items() if f.imports], help="Default: by extension."
        )
        parser.add_argument(
            "--unknown",
            choices=["fail", "skip", "add"],
            default="fail",
            help="Labels, relation types or attribute values the scheme lacks: fail (default), skip, or add them.",
        )
        parser.add_argument(
            "--existing",
            choices=datasets.EXISTING_CHOICES,
            default="fail",
            help="Layers the project already has with units: fail (default: import nothing), or skip them "
            "(leave them as they are and import the rest).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Report what would be imported; write nothing.")
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Queue the import for a worker (manage.py run_worker) and print its job's id, instead of importing "
            "here and now; files only (a brat directory as a zip), with the format their extensions say.",
        )

    def handle(self, *args, project, paths, dry_run, owner, unknown, existing, **options):
        project_obj = Project.objects.filter(slug=project).first()
        if project_obj is None:
            raise CommandError(f"No project with the slug “{project}”.")
        if options["queue"]:
            return self.queue(
                project_obj, paths, dry_run=dry_run, owner=owner, unknown=unknown, existing=existing, **options
            )
        sources = [self.source(Path(name), owner=owner, format_name=options["format"]) for name in paths]
        progress = Progress("Reading")
        report = datasets.import_files(
            project=project_obj,
            sources=sources,
            user=None,
            dry_run=dry_run,
            unknown=unknown,
            existing=existing,
            progress=progress.phase,
        )
        progress.done()
        if report.problems:
            raise CommandError("Nothing was imported:\n  " + "\n  ".join(report.problems))
        self.stdout.write(f"{'Would import' if dry_run else 'Imported'}: {report.summary}.")

    def source(self, path: Path, *, owner: str, format_name: str | None) -> datasets.Source:
        """The file or brat directory at `path`, read afresh for each pass of the import:
        a JSON Lines file line by line, never whole."""
        if path.is_dir():
            limits, folder_owner = datasets.archive_limits(), owner or None
            return datasets.Source(
                str(path), 0, lambda _: brat.parse_directory(path, owner=folder_owner, limits=limits)
            )
        if not path.is_file():

            def missing(_):
                raise FormatError("no such file or directory.", file_name=str(path))

            return datasets.Source(str(path), 0, missing)
        open_file = partial(open, path, "rb")
        size = path.stat().st_size
        return datasets.upload_source(open_file, file_name=path.name, size=size, owner=owner, format_name=format_name)

    def queue(self, project, paths, *, dry_run, owner, unknown, existing, **options):
        """Queue the files' import as a job, as the import page does with large files."""
        if dry_run or options["format"]:
            raise CommandError("--queue imports files by their extensions: it takes neither --dry-run nor --format.")
        if missing := [name for name in paths if not Path(name).is_file()]:
            raise CommandError(f"--queue takes files (zip a brat directory); not a file: {', '.join(missing)}.")
        with ExitStack() as stack:
            files = [File(stack.enter_context(open(name, "rb")), name=Path(name).name) for name in paths]
            try:
                job = jobs.enqueue_import(
                    project=project, user=None, uploads=files, unknown=unknown, existing=existing, owner=owner
                )
            except job_limits.Refused as refused:
                raise CommandError(f"Not queued: {refused.message}") from None
        url = reverse("annotate:job_detail", args=[project.slug, job.pk])
        self.stdout.write(f"Queued as job {job.pk}; a worker (manage.py run_worker) imports it. Its page: {url}")
