import sys

from django.core.management.base import BaseCommand

from annotator.core.commands import reports_input_errors
from annotator.selectors.dataset_export import ExportFormat, dataset_export, iso, snapshot_parse


class Command(BaseCommand):
    help = (
        "Export the accepted clips at a snapshot time: the training manifest, a tar with "
        "the videos, the manifest with URLs, or every field and decision as JSONL or CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--format", choices=list(ExportFormat), default=ExportFormat.MANIFEST.value
        )
        parser.add_argument(
            "--as-of", help="snapshot time, ISO-8601 (UTC unless it says otherwise); default now"
        )
        parser.add_argument(
            "--out", help="file to write, - for stdout (default: the export's own file name)"
        )
        parser.add_argument(
            "--exclude-overlaps",
            action="store_true",
            help="leave out the clips confirmed as overlapping a benchmark task (contamination)",
        )
        parser.add_argument(
            "--base-url", default="", help="makes the app's media URLs absolute (--format urls)"
        )

    @reports_input_errors
    def handle(self, *args, format, as_of, out, base_url, exclude_overlaps, **options):
        snapshot = snapshot_parse(as_of)
        export = dataset_export(
            export_format=format,
            as_of=snapshot,
            base_url=base_url,
            exclude_overlaps=exclude_overlaps,
        )
        if out == "-":
            for chunk in export.chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return
        path = out or export.filename
        with open(path, "wb") as fh:
            for chunk in export.chunks:
                fh.write(chunk)
        self.stdout.write(f"wrote {path} (accepted clips as of {iso(snapshot)})")
