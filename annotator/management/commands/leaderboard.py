import json

from django.core.management.base import BaseCommand

from annotator.core.commands import reports_input_errors
from annotator.selectors.leaderboard import Source, leaderboard_compute
from rubrics_app.choices import Dimension, Level
from rubrics_app.services.releases import release_get
from rubrics_app.services.rubric_files import benchmark_get


class Command(BaseCommand):
    help = (
        "Scores of each generator model: overall (with its 95% interval and rank interval), "
        "per level and per dimension; --json adds every interval. With the judge's drafts "
        "and a calibration sample, the human-corrected score of each model."
    )

    def add_arguments(self, parser):
        parser.add_argument("--benchmark", help="benchmark name (optional when there is one)")
        parser.add_argument("--release", help="score with this release's criteria")
        parser.add_argument("--source", default=Source.DRAFTS, choices=[s.value for s in Source])
        parser.add_argument("--judge", help="whose drafts, when several judges made some")
        parser.add_argument("--json", action="store_true", help="print JSON")

    @reports_input_errors
    def handle(self, *args, benchmark, release, source, judge, **options):
        bench = benchmark_get(benchmark)
        frozen = release_get(benchmark=bench, name=release) if release else None
        board = leaderboard_compute(
            benchmark=bench, release=frozen, source=source, judge_model=judge
        )
        if options["json"]:
            self.stdout.write(json.dumps(board.as_dict(), indent=2))
            return
        levels = [level.split("-")[0] for level in Level.values]
        header = ["model", "overall", "95% interval", "ranks", *levels, *Dimension.values]
        header.append("coverage")
        self.stdout.write("  ".join(f"{h:>12}" for h in header))
        for row in board.rows:
            low_high = (
                f"{row.overall_ci[0]:.2f}-{row.overall_ci[1]:.2f}" if row.overall_ci else None
            )
            ranks = "-".join(str(r) for r in sorted(set(row.rank_interval or ()))) or None
            cells = [
                row.generator,
                row.overall,
                low_high,
                ranks,
                *row.by_level.values(),
                *row.by_dimension.values(),
                f"{row.tasks_counted}/{row.tasks_total}",
            ]
            self.stdout.write(
                "  ".join(
                    f"{'-' if c is None else (f'{c:.2f}' if isinstance(c, float) else c):>12}"
                    for c in cells
                )
            )
        for ahead in board.ahead:
            self.stdout.write(f"{ahead.upper} > {ahead.lower} in {ahead.share:.1%} of resamples")
        if board.calibration:
            self.stdout.write(f"human-corrected ({board.calibration.method}):")
            for row in board.rows:
                c = row.corrected
                if c is None or c.estimate is None:
                    self.stdout.write(f"  {row.generator}: no verified calibration item")
                    continue
                low_high = f"{c.interval[0]:.2f}-{c.interval[1]:.2f}" if c.interval else "-"
                halve = "-" if c.more_to_halve is None else f"+{c.more_to_halve}"
                self.stdout.write(
                    f"  {row.generator}: {c.estimate:.2f} ({low_high}), {c.verified} of "
                    f"{c.sampled} drawn items verified, {c.population} items; to halve: {halve}"
                )
            self.stdout.write(f"  {board.calibration.note}")
