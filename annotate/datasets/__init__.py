"""Datasets in and out of the database, as the Django-free records every format reads
and writes (`annotate.formats.records`).

- `export`: the project's articles and layers as records, in batches of a fixed number
  of queries, and the export of a whole project in one format, chunk by chunk.
- `imports`: records into a project, all or nothing: every record is checked into an
  `ImportPlan`, and written in batches in one transaction that any problem rolls back.
- `reading`: the files of an import, read twice (to check, then to write) and never
  held whole.
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
    count_words,
    import_files,
    import_records,
    import_surveyed,
    parse_upload,
    storage_problems,
    survey_files,
    upload_too_large,
)
from annotate.datasets.reading import Source, Survey, archive_limits, records_source, upload_source

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
    "Source",
    "Survey",
    "archive_limits",
    "article_key",
    "article_records",
    "count_words",
    "export_chunks",
    "export_file_name",
    "export_losses",
    "import_files",
    "import_records",
    "import_surveyed",
    "parse_upload",
    "records_source",
    "scheme_record",
    "storage_problems",
    "survey_files",
    "upload_too_large",
    "upload_source",
]
