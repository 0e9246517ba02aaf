"""Calibration items become batch items: an ordered (video, dimension) list any batch
can carry, a calibration sample's draw as a routed judging batch's ranking. The drawn
items are moved over, their sample's batch in place of the sample."""

import django.db.models.deletion
from django.db import migrations, models


def move_items(apps, schema_editor):
    CalibrationItem = apps.get_model("annotator", "CalibrationItem")
    BatchItem = apps.get_model("annotator", "BatchItem")
    BatchItem.objects.bulk_create(
        BatchItem(batch_id=batch_id, video_id=video_id, dimension=dimension, position=position)
        for batch_id, video_id, dimension, position in CalibrationItem.objects.values_list(
            "sample__batch_id", "video_id", "dimension", "position"
        ).iterator()
    )


def move_back(apps, schema_editor):
    CalibrationItem = apps.get_model("annotator", "CalibrationItem")
    BatchItem = apps.get_model("annotator", "BatchItem")
    CalibrationItem.objects.bulk_create(
        CalibrationItem(sample_id=sample_id, video_id=video_id, dimension=dimension, position=position)
        for sample_id, video_id, dimension, position in BatchItem.objects.filter(
            batch__calibration__isnull=False
        ).values_list("batch__calibration__id", "video_id", "dimension", "position").iterator()
    )


class Migration(migrations.Migration):

    dependencies = [
        ('annotator', '0016_batch_order'),
    ]

    operations = [
        migrations.CreateModel(
            name='BatchItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('dimension', models.CharField(choices=[('scientific', 'Scientific fidelity'), ('visual', 'Visual quality'), ('instruction', 'Instruction following')], max_length=12)),
                ('position', models.PositiveIntegerField()),
                ('batch', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='annotator.workbatch')),
                ('video', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='batch_items', to='annotator.video')),
            ],
            options={
                'ordering': ['batch_id', 'position'],
                'constraints': [models.UniqueConstraint(fields=('batch', 'video', 'dimension'), name='batch_item_once')],
            },
        ),
        migrations.RunPython(move_items, move_back),
        migrations.DeleteModel(
            name='CalibrationItem',
        ),
    ]
