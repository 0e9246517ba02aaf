from pathlib import Path

from django.core.management.base import BaseCommand

from annotator.core.commands import reports_input_errors
from annotator.services.videos import batch_create, directory_files, videos_import_generated
from rubrics_app.services.rubric_files import benchmark_get


class Command(BaseCommand):
    help = "Import generated videos laid out as DIR/<Model>/<task index>.<ext>."

    def add_arguments(self, parser):
        parser.add_argument("dir", type=Path)
        parser.add_argument("--benchmark", help="benchmark name (optional when there is one)")

    @reports_input_errors
    def handle(self, *args, dir, benchmark, **options):
        bench = benchmark_get(benchmark)
        files = list(directory_files(dir))
        batch = batch_create(name=f"import_videos {dir}", user=None)
        report = videos_import_generated(benchmark=bench, files=files, batch=batch)
        self.stdout.write(report.summary())
