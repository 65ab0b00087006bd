from functools import partial
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotate.models import Project
from annotate.suggestions import predictions


class Command(BaseCommand):
    help = (
        "Import machine predictions (native JSON Lines with a source per unit, relation or layer) as suggestions "
        "for the layers they name. All or nothing: with any problem, nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("project", help="The project's slug.")
        parser.add_argument("path", help="The .jsonl file of predictions.")
        parser.add_argument("--dry-run", action="store_true", help="Report what would be imported; write nothing.")

    def handle(self, *args, project, path, dry_run, **options):
        project_obj = Project.objects.filter(slug=project).first()
        if project_obj is None:
            raise CommandError(f"No project with the slug “{project}”.")
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"Nothing was imported:\n  {path}: no such file.")
        report = predictions.import_predictions(
            project=project_obj, open_file=partial(open, file, "rb"), file_name=file.name, dry_run=dry_run
        )
        if report.problems:
            raise CommandError("Nothing was imported:\n  " + "\n  ".join(report.problems))
        self.stdout.write(f"{'Would import' if dry_run else 'Imported'} as suggestions: {report.summary}.")
