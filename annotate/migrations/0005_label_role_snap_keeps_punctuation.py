"""Labels get a role in the argument (what structure checks go by), projects a setting
for whether snapped units keep their closing punctuation, and scheme keys may no longer
be the workspace's command keys."""

import django.core.validators
from django.db import migrations, models

import annotate.models

# The roles of the presets' labels, by name in lower case: Argument Annotated Essays,
# Premise–Conclusion and Webis editorials (see annotate/schemes.py). Any other label
# is "other" until a manager gives it a role.
ROLES_BY_NAME = {
    "majorclaim": "main",
    "claim": "claim",
    "premise": "premise",
    "conclusion": "main",
    "assumption": "claim",
    "anecdote": "premise",
    "testimony": "premise",
    "statistics": "premise",
    "common-ground": "premise",
}


def set_roles(apps, schema_editor):
    Label = apps.get_model("annotate", "Label")
    for name, role in ROLES_BY_NAME.items():
        Label.objects.filter(name__iexact=name).update(role=role)


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0004_ordering_by_key_columns"),
    ]

    operations = [
        migrations.AddField(
            model_name="label",
            name="role",
            field=models.CharField(
                choices=[("main", "Main conclusion"), ("claim", "Claim"), ("premise", "Premise"), ("other", "Other")],
                default="other",
                help_text=(
                    "The label's part in the argument. A layer should have exactly one main conclusion; premises "
                    "(and claims without a stance attribute) must be linked when the scheme has relation types; "
                    "other units are never asked for anything."
                ),
                max_length=10,
            ),
        ),
        migrations.RunPython(set_roles, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="label",
            constraint=models.CheckConstraint(
                condition=models.Q(("role__in", ["main", "claim", "premise", "other"])), name="label_role_valid"
            ),
        ),
        migrations.AddField(
            model_name="project",
            name="snap_keeps_punctuation",
            field=models.BooleanField(
                default=False,
                verbose_name="Snapping keeps punctuation and quotation marks",
                help_text=(
                    "Snapped units keep the punctuation that belongs to their sentence: a selection keeps the opening "
                    "quotation mark or bracket it begins at, and a selection that ends just before a full stop, "
                    "question or exclamation mark, or a closing quotation mark or bracket that closes one inside it, "
                    "keeps them too. Off: snapped units start and end at words."
                ),
            ),
        ),
        migrations.AlterField(
            model_name="label",
            name="key",
            field=models.CharField(
                help_text=(
                    "Keyboard key: a lower-case letter or digit, but not l, e or 1–9 (the workspace's own commands)."
                ),
                max_length=1,
                validators=[
                    django.core.validators.RegexValidator("^[a-z0-9]$", "Use one lower-case letter or digit."),
                    annotate.models.not_a_command_key,
                ],
            ),
        ),
        migrations.AlterField(
            model_name="relationtype",
            name="key",
            field=models.CharField(
                help_text=(
                    "Keyboard key: a lower-case letter or digit, but not l, e or 1–9 (the workspace's own commands)."
                ),
                max_length=1,
                validators=[
                    django.core.validators.RegexValidator("^[a-z0-9]$", "Use one lower-case letter or digit."),
                    annotate.models.not_a_command_key,
                ],
            ),
        ),
    ]
