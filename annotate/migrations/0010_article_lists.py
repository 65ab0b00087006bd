import django.db.models.functions.text
from django.db import migrations, models

# The article search's index (annotate.article_lists.SEARCH_DOCUMENT; PostgreSQL only:
# the SQLite demo searches with a plain match).
SEARCH_INDEX = (
    "CREATE INDEX article_search ON annotate_article USING gin "
    "(to_tsvector('simple'::regconfig, left(title || ' ' || text, 200000)))"
)


def create_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEARCH_INDEX)


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS article_search")


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0009_job_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="length",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Length("text"),
                output_field=models.IntegerField(),
            ),
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
        migrations.RunPython(create_search_index, drop_search_index),
    ]
