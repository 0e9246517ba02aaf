from django.db import migrations

# The reasons experts used when the published training set was filtered.
REASONS = [
    ("not-microscale", "not microscale", "1"),
    ("live-footage", "live footage rather than simulation", "2"),
    ("text-overlay", "text, subtitles, watermark or logo", "3"),
    ("black-borders", "black borders", "4"),
    ("scene-cut", "a scene cut inside the clip", "5"),
    ("low-quality", "low resolution or blur", "6"),
    ("inconsistent", "physically or biologically inconsistent", "7"),
    ("caption-mismatch", "caption does not match", "8"),
    ("duplicate", "duplicate", "9"),
]


def add(apps, schema_editor):
    RejectReason = apps.get_model("annotator", "RejectReason")
    for position, (code, label, key) in enumerate(REASONS):
        RejectReason.objects.get_or_create(
            code=code, defaults={"label": label, "key": key, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("annotator", "0005_clip_verification")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
