from django.core.management.base import BaseCommand

from annotator.core.commands import reports_input_errors
from rubrics_app.choices import CriterionStatus
from rubrics_app.rubric_format import load_json
from rubrics_app.services.rubric_files import rubrics_import


class Command(BaseCommand):
    help = "Import a rubric file (and optionally its task metadata file) into a benchmark."

    def add_arguments(self, parser):
        parser.add_argument("file", help="rubric file: a JSON array, one object per task")
        parser.add_argument("--tasks", help="task metadata file (index, final_label, id, ...)")
        parser.add_argument("--benchmark", help="benchmark name; created if it does not exist")
        parser.add_argument(
            "--status",
            default=CriterionStatus.APPROVED,
            choices=[CriterionStatus.DRAFT, CriterionStatus.PROPOSED, CriterionStatus.APPROVED],
            help="status of imported criteria (default: approved)",
        )

        parser.add_argument(
            "--release", default="", help="also freeze the result as this release (e.g. v1.0)"
        )
        parser.add_argument(
            "--weight-scheme",
            default="",
            help="name of the release's weight scheme (e.g. raw, remapped)",
        )

    @reports_input_errors
    def handle(self, *args, file, tasks, benchmark, status, release, weight_scheme, **options):
        report = rubrics_import(
            rubric_data=load_json(file),
            tasks_data=load_json(tasks) if tasks else None,
            benchmark_name=benchmark,
            status=status,
            release_name=release,
            weight_scheme=weight_scheme,
        )
        self.stdout.write(report.summary())
