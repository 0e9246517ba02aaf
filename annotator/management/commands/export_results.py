from django.core.management.base import BaseCommand

from annotator.core.commands import reports_input_errors, write_text
from annotator.core.errors import InputError
from annotator.models import GeneratorModel
from annotator.services.judge_results import results_export
from rubrics_app.rubric_format import encode
from rubrics_app.services.rubric_files import benchmark_get


class Command(BaseCommand):
    help = "Export one generator model's verdicts in the judge result file format."

    def add_arguments(self, parser):
        parser.add_argument("model", help="generator model name")
        parser.add_argument("out", help="where to write the file")
        parser.add_argument("--benchmark", help="benchmark name (optional when there is one)")
        parser.add_argument(
            "--confirmed",
            action="store_true",
            help="human-confirmed verdicts instead of the judge's drafts",
        )
        parser.add_argument("--judge", help="whose drafts, when several judges made some")

    @reports_input_errors
    def handle(self, *args, model, out, benchmark, confirmed, judge, **options):
        bench = benchmark_get(benchmark)
        try:
            generator = GeneratorModel.objects.get(name=model)
        except GeneratorModel.DoesNotExist:
            raise InputError(f"no generator model named {model!r}") from None
        entries = results_export(
            benchmark=bench, generator=generator, confirmed=confirmed, judge_model=judge
        )
        write_text(out, encode(entries))
        complete = sum(
            1 for e in entries if all(e[k] is not None for k in e if k.endswith("_eval"))
        )
        what = "confirmed verdicts" if confirmed else "drafts"
        self.stdout.write(
            f"model {model}: {len(entries)} videos ({complete} judged in all "
            f"three dimensions) from {what} written to {out}"
        )
