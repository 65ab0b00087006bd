"""The step a change record belongs to: the changes one action made together (a review's
Adopt or Replace) share one, and undo and redo take them whole (annotate/history.py).
Records made before have none, so each stays a step of its own."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0018_username_unique_in_any_case"),
    ]

    operations = [
        migrations.AddField(
            model_name="change",
            name="step",
            field=models.UUIDField(blank=True, null=True),
        ),
    ]
