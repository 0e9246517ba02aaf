import uuid

from django.db import migrations


def fill(apps, schema_editor):
    Video = apps.get_model("annotator", "Video")
    videos = list(Video.objects.only("pk"))
    for video in videos:
        video.public_id = uuid.uuid4()
    Video.objects.bulk_update(videos, ["public_id"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0011_video_public_id"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
