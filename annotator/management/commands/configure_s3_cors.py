from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from annotator.services.s3 import s3_configure_cors


class Command(BaseCommand):
    help = "Allow the app's origins to fetch media from the S3 bucket (CORS with Range)."

    def add_arguments(self, parser):
        parser.add_argument("origins", nargs="+", help="e.g. https://annotator.example.org")
        parser.add_argument("--bucket", default=settings.S3_BUCKET)

    def handle(self, *args, origins, bucket, **options):
        if not bucket:
            raise CommandError("no bucket: pass --bucket or set S3_BUCKET")
        s3_configure_cors(bucket=bucket, origins=origins)
        self.stdout.write(f"CORS on s3://{bucket} allows GET and Range from {', '.join(origins)}")
