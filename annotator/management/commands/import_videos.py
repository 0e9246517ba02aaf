from pathlib import Path

from django.core.management.base import BaseCommand

from annotator.commands import reports_input_errors
from annotator.services.videos import videos_import_dir
from rubrics_app.services.rubric_files import benchmark_get


class Command(BaseCommand):
    help = "Import generated videos laid out as DIR/<Model>/<task index>.<ext>."

    def add_arguments(self, parser):
        parser.add_argument("dir", type=Path)
        parser.add_argument("--benchmark", help="benchmark name (optional when there is one)")

    @reports_input_errors
    def handle(self, *args, dir, benchmark, **options):
        report = videos_import_dir(benchmark=benchmark_get(benchmark), directory=dir)
        self.stdout.write(report.summary())
