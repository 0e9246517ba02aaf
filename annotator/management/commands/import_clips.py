from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from annotator.core.commands import reports_input_errors
from annotator.core.errors import InputError
from annotator.services.clip_import import (
    clips_import_folder,
    clips_import_manifest,
    clips_import_s3,
)


class Command(BaseCommand):
    help = (
        "Import candidate dataset clips from a training manifest (JSON array or JSONL of "
        "{id, video, prompt}), a folder (its metadata.json, else every video file) or an "
        "S3 prefix (s3://bucket/prefix or --s3 PREFIX). Any bad entry and nothing is "
        "imported."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "source", nargs="?", help="a manifest file, a folder, or s3://bucket/prefix"
        )
        parser.add_argument("--s3", metavar="PREFIX", help="a key prefix in --bucket")
        parser.add_argument(
            "--bucket", default=settings.S3_BUCKET, help="bucket of --s3 (default: S3_BUCKET)"
        )
        parser.add_argument(
            "--manifest", default="", help="the manifest's name in the folder or prefix"
        )

    @reports_input_errors
    def handle(self, *args, source, s3, bucket, manifest, **options):
        if bool(source) == (s3 is not None):
            raise InputError("give either a file or folder, s3://bucket/prefix, or --s3 PREFIX")
        if source and source.startswith("s3://"):
            bucket, _, s3 = source.removeprefix("s3://").partition("/")
        if s3 is not None:
            if not bucket:
                raise InputError("no bucket: pass --bucket or set S3_BUCKET")
            report = clips_import_s3(bucket=bucket, prefix=s3, manifest_name=manifest)
        elif Path(source).is_file():
            report = clips_import_manifest(manifest=Path(source))
        else:
            report = clips_import_folder(directory=Path(source), manifest_name=manifest)
        self.stdout.write(report.summary())
