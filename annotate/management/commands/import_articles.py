from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotate import datasets
from annotate.formats import brat
from annotate.formats.errors import FormatError
from annotate.models import Project


class Command(BaseCommand):
    help = (
        "Import articles (.txt, .md, .html) and annotated datasets (.jsonl, brat .zip or directory) into a project. "
        "All or nothing: with any problem, nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="The project's slug.")
        parser.add_argument("paths", nargs="+", help="Files, or brat directories.")
        parser.add_argument("--dry-run", action="store_true", help="Report what would be imported; write nothing.")

    def handle(self, *args, project, paths, dry_run, **options):
        project_obj = Project.objects.filter(slug=project).first()
        if project_obj is None:
            raise CommandError(f"No project with the slug “{project}”.")
        records, problems = [], []
        for name in paths:
            path = Path(name)
            try:
                if path.is_dir():
                    records += brat.parse_directory(path)
                elif path.is_file():
                    records += datasets.parse_upload(path.read_bytes(), file_name=path.name)
                else:
                    problems.append(f"{name}: no such file or directory.")
            except FormatError as error:
                problems.append(str(error))
        report = datasets.import_records(
            project=project_obj, records=records, user=None, dry_run=dry_run or bool(problems)
        )
        problems += report.problems
        counts = ", ".join(f"{count} {name}" for name, count in report.counts.items())
        if problems:
            raise CommandError("Nothing was imported:\n  " + "\n  ".join(problems))
        self.stdout.write(f"{'Would import' if dry_run else 'Imported'}: {counts}.")
