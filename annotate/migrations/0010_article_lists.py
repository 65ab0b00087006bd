"""Article lists at any size: an article's length as a generated column, the indexes the
lists page through, the search's stored document and its index (PostgreSQL), and the counters of layers the
database keeps on each article and membership (triggers on annotate_layer, so that every
way a layer is made, changed or deleted counts, bulk inserts and cascades included)."""

import django.db.models.functions.text
from django.db import migrations, models

# The search's document, stored (PostgreSQL only; the SQLite demo searches with a plain
# match): a column Django does not know of, computed by the database from the title and
# the text's first 200,000 characters, with its index. Stored, so that a search never
# recomputes it from the text (a list of 20,000 articles would take seconds).
SEARCH_DOCUMENT = [
    "ALTER TABLE annotate_article ADD COLUMN search_document tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple'::regconfig, left(title || ' ' || text, 200000))) STORED",
    "CREATE INDEX article_search ON annotate_article USING gin (search_document)",
    # The tag filter's `metadata @> {"tag": …}` and `{"tags": […]}`.
    "CREATE INDEX article_metadata ON annotate_article USING gin (metadata jsonb_path_ops)",
]

# What an article's and a membership's counters are, from the layers (both databases).
ARTICLE_COUNTS = """
    layers_assigned = (SELECT count(*) FROM annotate_layer l
                       WHERE l.article_id = annotate_article.id AND l.annotator_id IS NOT NULL),
    layers_started = (SELECT count(*) FROM annotate_layer l
                      WHERE l.article_id = annotate_article.id AND l.annotator_id IS NOT NULL
                      AND l.status <> 'not_started'),
    layers_finished = (SELECT count(*) FROM annotate_layer l
                       WHERE l.article_id = annotate_article.id AND l.annotator_id IS NOT NULL
                       AND l.status = 'finished'),
    curated = EXISTS (SELECT 1 FROM annotate_layer l
                      WHERE l.article_id = annotate_article.id AND l.annotator_id IS NULL
                      AND l.status = 'finished')
"""
MEMBERSHIP_COUNTS = """
    layers_assigned = (SELECT count(*) FROM annotate_layer l JOIN annotate_article a ON a.id = l.article_id
                       WHERE l.annotator_id = annotate_membership.user_id
                       AND a.project_id = annotate_membership.project_id),
    layers_finished = (SELECT count(*) FROM annotate_layer l JOIN annotate_article a ON a.id = l.article_id
                       WHERE l.annotator_id = annotate_membership.user_id
                       AND a.project_id = annotate_membership.project_id AND l.status = 'finished')
"""

# PostgreSQL: once per statement, by the difference the rows it touched make (a bulk
# insert of 40,000 layers is one update of the articles and members it touched), and
# per row only when a layer's status (or owner) changes: the old row counted out, the
# new one in. A membership made is counted from its layers once.
POSTGRESQL = [
    """
    CREATE FUNCTION annotate_count_layers(article_ids bigint[], annotator_ids integer[], statuses text[], sign integer)
    RETURNS void LANGUAGE sql AS $$
        UPDATE annotate_article a SET
            layers_assigned = a.layers_assigned + sign * d.assigned,
            layers_started = a.layers_started + sign * d.started,
            layers_finished = a.layers_finished + sign * d.finished,
            curated = CASE WHEN d.gold_finished THEN sign > 0 ELSE a.curated END
        FROM (
            SELECT article_id,
                count(*) FILTER (WHERE annotator_id IS NOT NULL) AS assigned,
                count(*) FILTER (WHERE annotator_id IS NOT NULL AND status <> 'not_started') AS started,
                count(*) FILTER (WHERE annotator_id IS NOT NULL AND status = 'finished') AS finished,
                bool_or(annotator_id IS NULL AND status = 'finished') AS gold_finished
            FROM unnest(article_ids, annotator_ids, statuses) AS t(article_id, annotator_id, status)
            GROUP BY article_id
        ) d
        WHERE a.id = d.article_id;
        UPDATE annotate_membership m SET
            layers_assigned = m.layers_assigned + sign * d.assigned,
            layers_finished = m.layers_finished + sign * d.finished
        FROM (
            SELECT a.project_id, t.annotator_id, count(*) AS assigned,
                count(*) FILTER (WHERE t.status = 'finished') AS finished
            FROM unnest(article_ids, annotator_ids, statuses) AS t(article_id, annotator_id, status)
            JOIN annotate_article a ON a.id = t.article_id
            WHERE t.annotator_id IS NOT NULL
            GROUP BY a.project_id, t.annotator_id
        ) d
        WHERE m.project_id = d.project_id AND m.user_id = d.annotator_id;
    $$
    """,
    """
    CREATE FUNCTION annotate_layers_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM annotate_count_layers(array_agg(article_id), array_agg(annotator_id), array_agg(status::text), 1)
        FROM new_layers;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION annotate_layers_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM annotate_count_layers(array_agg(article_id), array_agg(annotator_id), array_agg(status::text), -1)
        FROM old_layers;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION annotate_layer_updated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM annotate_count_layers(ARRAY[OLD.article_id], ARRAY[OLD.annotator_id], ARRAY[OLD.status::text], -1);
        PERFORM annotate_count_layers(ARRAY[NEW.article_id], ARRAY[NEW.annotator_id], ARRAY[NEW.status::text], 1);
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION annotate_membership_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE annotate_membership SET {counts} WHERE id = NEW.id;
        RETURN NULL;
    END $$
    """.replace("{counts}", MEMBERSHIP_COUNTS),
    """CREATE TRIGGER layers_inserted AFTER INSERT ON annotate_layer REFERENCING NEW TABLE AS new_layers
    FOR EACH STATEMENT EXECUTE FUNCTION annotate_layers_inserted()""",
    """CREATE TRIGGER layers_deleted AFTER DELETE ON annotate_layer REFERENCING OLD TABLE AS old_layers
    FOR EACH STATEMENT EXECUTE FUNCTION annotate_layers_deleted()""",
    """CREATE TRIGGER layer_updated AFTER UPDATE ON annotate_layer FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.annotator_id IS DISTINCT FROM NEW.annotator_id
          OR OLD.article_id IS DISTINCT FROM NEW.article_id)
    EXECUTE FUNCTION annotate_layer_updated()""",
    """CREATE TRIGGER membership_inserted AFTER INSERT ON annotate_membership FOR EACH ROW
    EXECUTE FUNCTION annotate_membership_inserted()""",
    f"UPDATE annotate_article SET {ARTICLE_COUNTS}",
    f"UPDATE annotate_membership SET {MEMBERSHIP_COUNTS}",
]
POSTGRESQL_DROP = [
    "ALTER TABLE annotate_article DROP COLUMN IF EXISTS search_document",
    "DROP INDEX IF EXISTS article_metadata",
    "DROP TRIGGER IF EXISTS layers_inserted ON annotate_layer",
    "DROP TRIGGER IF EXISTS layers_deleted ON annotate_layer",
    "DROP TRIGGER IF EXISTS layer_updated ON annotate_layer",
    "DROP TRIGGER IF EXISTS membership_inserted ON annotate_membership",
    "DROP FUNCTION IF EXISTS annotate_layers_inserted(), annotate_layers_deleted(), annotate_layer_updated(), "
    "annotate_membership_inserted(), annotate_count_layers(bigint[], integer[], text[], integer)",
]


def sqlite_recount(row: str) -> str:
    """SQLite (the demo): per row, for the layer `row` (NEW or OLD)."""
    return f"""
        UPDATE annotate_article SET {ARTICLE_COUNTS} WHERE id = {row}.article_id;
        UPDATE annotate_membership SET {MEMBERSHIP_COUNTS}
        WHERE user_id = {row}.annotator_id
        AND project_id = (SELECT project_id FROM annotate_article WHERE id = {row}.article_id);
    """


SQLITE = [
    f"CREATE TRIGGER layers_inserted AFTER INSERT ON annotate_layer BEGIN {sqlite_recount('NEW')} END",
    f"CREATE TRIGGER layers_deleted AFTER DELETE ON annotate_layer BEGIN {sqlite_recount('OLD')} END",
    f"""CREATE TRIGGER layer_updated AFTER UPDATE OF status, annotator_id, article_id ON annotate_layer
    BEGIN {sqlite_recount("OLD")} {sqlite_recount("NEW")} END""",
    f"""CREATE TRIGGER membership_inserted AFTER INSERT ON annotate_membership
    BEGIN UPDATE annotate_membership SET {MEMBERSHIP_COUNTS} WHERE id = NEW.id; END""",
    f"UPDATE annotate_article SET {ARTICLE_COUNTS}",
    f"UPDATE annotate_membership SET {MEMBERSHIP_COUNTS}",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS layers_inserted",
    "DROP TRIGGER IF EXISTS layers_deleted",
    "DROP TRIGGER IF EXISTS layer_updated",
    "DROP TRIGGER IF EXISTS membership_inserted",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in [*SEARCH_DOCUMENT, *POSTGRESQL]:
            schema_editor.execute(statement)
    else:
        for statement in SQLITE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    for statement in POSTGRESQL_DROP if schema_editor.connection.vendor == "postgresql" else SQLITE_DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0009_job_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="curated",
            field=models.BooleanField(db_default=False, default=False, editable=False),
        ),
        migrations.AddField(
            model_name="article",
            name="layers_assigned",
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="article",
            name="layers_finished",
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="article",
            name="layers_started",
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="article",
            name="length",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Length("text"),
                output_field=models.IntegerField(),
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="layers_assigned",
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="membership",
            name="layers_finished",
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["project", "id"], name="article_by_id"),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["project", "title", "id"], name="article_by_title"),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["project", "length", "id"], name="article_by_length"),
        ),
        migrations.AddField(
            model_name="article",
            name="progress",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Case(
                    models.When(layers_assigned=0, then=models.Value("unassigned")),
                    models.When(layers_started=0, then=models.Value("not_started")),
                    models.When(layers_finished__lt=models.F("layers_assigned"), then=models.Value("in_progress")),
                    default=models.Value("finished"),
                ),
                output_field=models.CharField(max_length=20),
            ),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["project", "progress", "id"], name="article_by_progress"),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["project", "curated", "id"], name="article_by_curation"),
        ),
        migrations.RunPython(create, drop),
    ]
