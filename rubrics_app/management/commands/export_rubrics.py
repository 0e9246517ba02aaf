from django.core.management.base import BaseCommand

from annotator.core.commands import reports_input_errors, write_text
from rubrics_app.models import ReleaseCriterion
from rubrics_app.rubric_format import encode
from rubrics_app.selectors import live_criteria
from rubrics_app.services.releases import release_export, release_get
from rubrics_app.services.rubric_files import benchmark_get, rubrics_export, task_metadata_export


class Command(BaseCommand):
    help = "Export a benchmark's live criteria in the rubric file format."

    def add_arguments(self, parser):
        parser.add_argument("out", help="where to write the rubric file")
        parser.add_argument("--tasks", help="also write the task metadata file here")
        parser.add_argument("--benchmark", help="benchmark name (optional when there is one)")
        parser.add_argument("--release", help="a frozen release rather than the live criteria")

    @reports_input_errors
    def handle(self, *args, out, tasks, benchmark, release, **options):
        bench = benchmark_get(benchmark)
        if release:
            frozen = release_get(benchmark=bench, name=release)
            entries = release_export(release=frozen)
            criteria = ReleaseCriterion.objects.filter(release_task__release=frozen).count()
        else:
            entries = rubrics_export(benchmark=bench)
            criteria = live_criteria().filter(task__benchmark=bench).count()
        write_text(out, encode(entries))
        self.stdout.write(
            f"benchmark {bench.name}: {len(entries)} tasks, {criteria} criteria written to {out}"
        )
        if tasks:
            write_text(tasks, encode(task_metadata_export(benchmark=bench)))
            self.stdout.write(f"task metadata written to {tasks}")
