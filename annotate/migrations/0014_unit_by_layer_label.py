from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('annotate', '0013_uploads'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='argumentunit',
            index=models.Index(fields=['layer', 'label'], name='unit_by_layer_label'),
        ),
    ]
