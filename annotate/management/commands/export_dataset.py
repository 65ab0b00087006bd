from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize

from annotate import datasets
from annotate.formats import brat, registry
from annotate.formats.losses import LossReport
from annotate.management.commands._progress import Progress
from annotate.models import Project


class Command(BaseCommand):
    help = "Export a project's articles and layers in one of the dataset formats (streamed)."

    def add_arguments(self, parser):
        exporting = [name for name, format in registry.FORMATS.items() if format.exports]
        parser.add_argument("--project", required=True, help="The project's slug.")
        parser.add_argument("--format", required=True, choices=exporting)
        parser.add_argument(
            "--layers", default="all", help='"all" (default), "annotators", "gold", or one annotator\'s username.'
        )
        parser.add_argument("--finished-only", action="store_true", help="Only layers marked finished.")
        parser.add_argument("--stance", action="store_true", help="CoNLL: stance on claims (B-Claim:For).")
        parser.add_argument("--relations", action="store_true", help="CoNLL: relation distance (B-Premise:-1:Support).")
        parser.add_argument(
            "--output",
            "-o",
            default="-",
            help='A file, "-" for standard output (default), or for brat a directory (ending in "/") to write '
            "the .txt/.ann files into instead of a zip.",
        )

    def handle(self, *args, project, format, layers, finished_only, stance, relations, output, **options):
        project_obj = Project.objects.filter(slug=project).first()
        if project_obj is None:
            raise CommandError(f"No project with the slug “{project}”.")
        known = {"all", "annotators", "gold", *project_obj.memberships.values_list("user__username", flat=True)}
        if layers not in known:
            raise CommandError(f"--layers must be all, annotators, gold or an annotator's username, not “{layers}”.")
        choice = datasets.LayerChoice(layers, finished_only=finished_only)
        wanted = {"stance": stance, "relations": relations}
        format_options = {name: wanted[name] for name in registry.get(format).options}
        binary = registry.get(format).binary
        if binary and output == "-" and self.stdout.isatty():
            raise CommandError(
                f"A {format} export is a zip file, which would fill the terminal with binary: write it to a file "
                "with --output PATH (or pipe standard output into a file or another program)."
            )
        progress = Progress("Articles", project_obj.articles.count())
        report = LossReport(kept=0, on_loss=lambda loss: self.stderr.write(f"Left out: {loss}"))
        if format == "brat" and output.endswith("/"):
            records = datasets.article_records(project_obj, choice=choice, progress=progress.step)
            brat.export_directory(records, scheme=datasets.scheme_record(project_obj), path=output, report=report)
            progress.done()
            self.stderr.write(f"Exported {progress.count} article{pluralize(progress.count)} (brat) into {output}.")
            self._say_losses(format, report)
            return
        chunks = datasets.export_chunks(
            project_obj, format_name=format, choice=choice, progress=progress.step, report=report, **format_options
        )
        written = 0
        if output == "-":
            # The command's own stdout (sys.stdout unless call_command is given another); its
            # `buffer` takes the bytes of a zip.
            for chunk in chunks:
                written += len(chunk)
                if binary:
                    self.stdout.buffer.write(chunk)
                else:
                    self.stdout.write(chunk, ending="")
            self.stdout.flush()
        else:
            text = {} if binary else {"encoding": "utf-8", "newline": ""}
            with Path(output).open("wb" if binary else "w", **text) as file:
                for chunk in chunks:
                    written += len(chunk)
                    file.write(chunk)
        progress.done()
        where = "standard output" if output == "-" else output
        self.stderr.write(f"Exported {progress.count} article{pluralize(progress.count)} ({format}) to {where}.")
        self._say_losses(format, report)

    def _say_losses(self, format: str, report: LossReport) -> None:
        if report.total:
            where = f"in the export's {brat.LEFT_OUT}" if format == "brat" else "in the file's header"
            self.stderr.write(
                f"{registry.get(format).label} left out or wrote in part {report.summary()}, each listed above "
                f"and {where}."
            )
