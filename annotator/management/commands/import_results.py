from django.core.management.base import BaseCommand

from annotator.core.commands import reports_input_errors
from annotator.services.judge_results import IMPORTED_JUDGE, results_import
from rubrics_app.rubric_format import load_json
from rubrics_app.services.rubric_files import benchmark_get


class Command(BaseCommand):
    help = "Import a judge result file (<Model>_result.json) as draft verdicts of a model."

    def add_arguments(self, parser):
        parser.add_argument("model", help="generator model name; created if new")
        parser.add_argument("file", help="judge result file")
        parser.add_argument("--benchmark", help="benchmark name (optional when there is one)")
        parser.add_argument(
            "--judge",
            default=IMPORTED_JUDGE,
            help=f"name of the judge that made the file (default {IMPORTED_JUDGE})",
        )

    @reports_input_errors
    def handle(self, *args, model, file, benchmark, judge, **options):
        report = results_import(
            benchmark=benchmark_get(benchmark),
            generator_name=model,
            data=load_json(file),
            judge_model=judge,
        )
        self.stdout.write(report.summary())
