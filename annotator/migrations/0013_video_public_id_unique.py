import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0012_video_public_id_fill"),
    ]

    operations = [
        migrations.AlterField(
            model_name="video",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
