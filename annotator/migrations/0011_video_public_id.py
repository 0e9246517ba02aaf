from django.db import migrations, models


class Migration(migrations.Migration):
    """Video.public_id in the three steps a unique field with a callable default needs
    (a column default is computed once for every existing row): added nullable, filled
    row by row in 0012, made unique in 0013."""

    dependencies = [
        ("annotator", "0010_job_items"),
    ]

    operations = [
        migrations.AddField(
            model_name="video",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
    ]
