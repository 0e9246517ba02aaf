from django.conf import settings
from django.core.management.base import BaseCommand

from annotator.core.commands import reports_input_errors
from annotator.core.errors import InputError
from annotator.services.s3 import s3_files
from annotator.services.videos import batch_create, videos_import_clips, videos_import_generated
from rubrics_app.services.rubric_files import benchmark_get


class Command(BaseCommand):
    help = (
        "Import the videos under an S3 prefix: as generated videos laid out "
        "<prefix>/<Model>/<index>.<ext>, or with --clips as candidate dataset clips."
    )

    def add_arguments(self, parser):
        parser.add_argument("prefix", help="key prefix in the bucket")
        parser.add_argument(
            "--bucket", default=settings.S3_BUCKET, help="bucket (default: S3_BUCKET)"
        )
        parser.add_argument(
            "--clips",
            action="store_true",
            help="candidate dataset clips rather than generated videos",
        )
        parser.add_argument("--benchmark", help="benchmark name (optional when there is one)")

    @reports_input_errors
    def handle(self, *args, prefix, bucket, clips, benchmark, **options):
        if not bucket:
            raise InputError("no bucket: pass --bucket or set S3_BUCKET")
        batch = batch_create(name=f"import_s3 s3://{bucket}/{prefix}", user=None)
        files = s3_files(bucket=bucket, prefix=prefix)
        if clips:
            report = videos_import_clips(files=files, batch=batch)
        else:
            report = videos_import_generated(
                benchmark=benchmark_get(benchmark), files=files, batch=batch
            )
        self.stdout.write(report.summary())
