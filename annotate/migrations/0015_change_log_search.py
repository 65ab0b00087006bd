from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('annotate', '0014_unit_by_layer_label'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='change',
            index=models.Index(fields=['target'], name='change_target_idx'),
        ),
        migrations.AddIndex(
            model_name='change',
            index=models.Index(fields=['user', '-created_at', '-id'], name='change_user_created_idx'),
        ),
    ]
