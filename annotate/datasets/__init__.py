"""Datasets in and out of the database, as the Django-free records every format reads
and writes (`annotate.formats.records`).

- `export`: the project's articles and layers as records, in batches of a fixed number
  of queries, and the export of a whole project in one format, chunk by chunk.
- `imports`: records into a project, all or nothing: every record is checked into an
  `ImportPlan` first, and written only when nothing is wrong, in one transaction.
- `fast_paths`: the queries written for PostgreSQL alone, each with the path that every
  database (SQLite too) runs.
"""

from annotate.datasets.export import (
    GOLD,
    LayerChoice,
    article_key,
    article_records,
    export_chunks,
    export_file_name,
    export_losses,
    scheme_record,
)
from annotate.datasets.imports import (
    CONCURRENT_CHANGE,
    EXISTING_CHOICES,
    EXISTING_LAYER,
    IMPORT_LOCK,
    SCHEME_KEYS,
    ArticlePlan,
    ImportPlan,
    ImportReport,
    archive_limits,
    count_words,
    import_records,
    parse_upload,
    storage_problems,
    upload_too_large,
)

__all__ = [
    "CONCURRENT_CHANGE",
    "EXISTING_CHOICES",
    "EXISTING_LAYER",
    "GOLD",
    "IMPORT_LOCK",
    "SCHEME_KEYS",
    "ArticlePlan",
    "ImportPlan",
    "ImportReport",
    "LayerChoice",
    "archive_limits",
    "article_key",
    "article_records",
    "count_words",
    "export_chunks",
    "export_file_name",
    "export_losses",
    "import_records",
    "parse_upload",
    "scheme_record",
    "storage_problems",
    "upload_too_large",
]
