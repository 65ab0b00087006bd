from django.core.management.base import BaseCommand
from django.template.defaultfilters import pluralize

from annotate import export_jobs


class Command(BaseCommand):
    help = (
        "Delete the files of exports written by a worker more than ANNOTATE_EXPORT_KEEP_SECONDS ago, and what "
        "failed or cancelled exports left (a worker also does so whenever it starts an export); print each file "
        "deleted and why, which its job's message says too."
    )

    def handle(self, *args, **options):
        pruned = export_jobs.prune_exports()
        for export in pruned:
            for name in export.files:
                self.stdout.write(f"Deleted {name} (export {export.job_id} of {export.project}): {export.why}.")
        count = len(pruned)
        self.stdout.write(f"Deleted the files of {count} export{pluralize(count)}, expired or never finished.")
