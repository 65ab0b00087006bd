from django.core.management.base import BaseCommand
from django.template.defaultfilters import pluralize

from annotate import export_jobs


class Command(BaseCommand):
    help = (
        "Delete the files of exports written by a worker more than ANNOTATE_EXPORT_KEEP_SECONDS ago, and what "
        "failed or cancelled exports left (a worker also does so whenever it starts an export)."
    )

    def handle(self, *args, **options):
        count = export_jobs.prune_exports()
        self.stdout.write(f"Deleted the files of {count} export{pluralize(count)}, expired or never finished.")
