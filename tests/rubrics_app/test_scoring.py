import json
from io import StringIO

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from annotator.selectors.leaderboard import Source, leaderboard_compute
from rubrics_app.models import Benchmark
from rubrics_app.scoring import dimension_points, task_percent
from tests.rubric_files import import_variants, load


def test_the_worked_example_of_the_product_brief():
    scientific = dimension_points(
        [(1, 2.0), (1, 1.0), (1, 2.0), (1, 0.7), (-1, 1.0)], [1, 0, 1, 1, 1]
    )
    visual = dimension_points([(1, 1.0), (1, 1.0), (-1, 1.0)], [1, 1, 0])
    instruction = dimension_points([(1, 1.5), (1, 1.0), (-1, 2.0)], [0, 0, 1])
    assert (scientific.raw, scientific.maximum) == pytest.approx((3.7, 5.7))
    assert round(scientific.percent, 2) == 64.91
    assert visual.percent == 100
    assert (instruction.raw, instruction.percent) == (-2, 0)
    assert round(task_percent([scientific, visual, instruction]), 2) == 36.27


def test_penalties_can_take_a_dimension_below_zero_which_counts_as_zero():
    assert dimension_points([(1, 1.0), (-1, 3.0)], [1, 1]).percent == 0


def test_a_dimension_without_positive_weight_scores_zero():
    assert dimension_points([(1, 0.0), (-1, 1.0)], [1, 0]).percent == 0
    assert dimension_points([], []).percent == 0


def reference_task_score(dims):
    """The formula written out plainly, as the published scoring code does."""
    s = m = 0.0
    for criteria, verdicts in dims:
        for (sign, weight), verdict in zip(criteria, verdicts, strict=True):
            s += sign * weight * verdict
            if sign == 1:
                m += weight
    return max(0.0, s / m) * 100 if m > 0 else 0.0


criterion = st.tuples(st.sampled_from([1, -1]), st.floats(0, 10, allow_nan=False))
dimension = st.lists(criterion, max_size=6).flatmap(
    lambda cs: st.tuples(
        st.just(cs), st.lists(st.integers(0, 1), min_size=len(cs), max_size=len(cs))
    )
)


@given(st.lists(dimension, min_size=3, max_size=3))
def test_task_scores_match_a_plain_reference_implementation(dims):
    points = [dimension_points(c, v) for c, v in dims]
    assert task_percent(points) == pytest.approx(reference_task_score(dims), abs=1e-9)
    for p in points:
        assert 0 <= p.percent <= 100 or p.maximum == 0


@given(dimension)
def test_a_dimension_score_stays_between_0_and_100(dim):
    assert 0 <= dimension_points(*dim).percent <= 100 + 1e-9


def _published_scores(rubrics, results):
    """Scores straight from the two files, the way the published scoring code does."""
    by_index = {entry["index"]: entry for entry in rubrics}
    per_task = []
    for entry in results:
        evals = [entry[f"{d}_eval"] for d in ("scientific", "visual", "instruction")]
        if any(e is None for e in evals):
            continue
        dims = []
        for d, e in zip(("scientific", "visual", "instruction"), evals, strict=True):
            block = by_index[entry["index"]][f"rubrics_{d}"]
            numbers = sorted(int(k[1:]) for k in block if k.startswith("d"))
            criteria = [(int(block[f"s{n}"]), float(block[f"w{n}"])) for n in numbers]
            dims.append((criteria, e["parsed_result"]["scores"]))
        per_task.append(reference_task_score(dims))
    return sum(per_task) / len(per_task), len(per_task)


@pytest.mark.django_db
def test_scores_from_imported_judge_result_files_equal_the_published_formula(tmp_path):
    rubrics = load("rubrics_variants.json")
    import_variants("--release", "v1")
    results = [
        {
            "index": 1,
            "video_path": "a/1.mp4",
            "scientific_eval": {"raw_response": "", "parsed_result": {"scores": [1, 0, 1, 1, 1]}},
            "visual_eval": {"raw_response": "", "parsed_result": {"scores": [1, 1, 0, 1]}},
            "instruction_eval": {"raw_response": "", "parsed_result": {"scores": [1, 0, 1, 1, 0]}},
        },
        {
            "index": 2,
            "video_path": "a/2.mp4",
            "scientific_eval": {"raw_response": "", "parsed_result": {"scores": [1, 1, 1, 0, 0]}},
            "visual_eval": {"raw_response": "", "parsed_result": {"scores": [1, 0, 1]}},
            "instruction_eval": {"raw_response": "", "parsed_result": {"scores": [1, 1, 0, 1, 1]}},
        },
        {
            "index": 3,
            "video_path": "a/3.mp4",
            "scientific_eval": None,
            "visual_eval": {"raw_response": "", "parsed_result": {"scores": [1, 1, 1, 1, 1]}},
            "instruction_eval": {"raw_response": "", "parsed_result": {"scores": [1, 1, 1, 1, 1]}},
        },
    ]
    path = tmp_path / "Sora_result.json"
    path.write_text(json.dumps(results))
    call_command("import_results", "Sora", str(path), stdout=StringIO())
    expected, counted = _published_scores(rubrics, results)

    benchmark = Benchmark.objects.get()
    for release in (None, benchmark.releases.get()):
        board = leaderboard_compute(benchmark=benchmark, release=release)
        (row,) = board.rows
        assert row.overall == round(expected, 2)
        assert (row.tasks_counted, row.tasks_total) == (counted, 3)  # task 3 lacks a dimension
    out = StringIO()
    call_command("leaderboard", "--release", "v1", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["rows"][0]["overall"] == round(expected, 2) and data["release"] == "v1"
    assert data["rows"][0]["by_level"]["Cellular-level"] is None  # no level imported
    confirmed = leaderboard_compute(benchmark=benchmark, source=Source.CONFIRMED)
    assert confirmed.rows[0].overall is None  # no expert has confirmed anything yet


@pytest.mark.django_db
def test_the_leaderboard_page_sets_the_judge_beside_the_experts(client, tmp_path):
    from django.urls import reverse

    from annotator.models import Judgment
    from annotator.models.choices import VerdictSource, VerdictStatus
    from annotator.selectors.agreement import judge_agreement
    from tests.factories import UserFactory

    import_variants()
    results = [
        {
            "index": 1,
            "video_path": "v.mp4",
            **{
                f"{d}_eval": {"raw_response": "", "parsed_result": {"scores": scores}}
                for d, scores in (
                    ("scientific", [1, 0, 1, 1, 1]),
                    ("visual", [1, 1, 0, 1]),
                    ("instruction", [1, 0, 1, 1, 0]),
                )
            },
        }
    ]
    path = tmp_path / "Sora_result.json"
    path.write_text(json.dumps(results))
    call_command("import_results", "Sora", str(path), stdout=StringIO())
    expert = UserFactory()
    # The expert confirms every draft of the video but flips the first scientific one.
    for draft in Judgment.objects.select_related("criterion"):
        flip = draft.criterion.dimension == "scientific" and draft.criterion.number == 1
        Judgment.objects.create(
            video=draft.video,
            criterion=draft.criterion,
            user=expert,
            verdict=1 - draft.verdict if flip else draft.verdict,
            source=VerdictSource.HUMAN,
            status=VerdictStatus.CONFIRMED,
        )
    benchmark = Benchmark.objects.get()
    agreement = judge_agreement(benchmark=benchmark, judge_model="published-judge")
    assert agreement.overall.n == 14 and agreement.overall.judge_1_expert_0 == 1
    assert agreement.by_dimension["visual"].accuracy == 1
    assert agreement.by_dimension["visual"].kappa == 1
    client.force_login(UserFactory(role="reviewer"))  # annotators judge blind
    html = client.get(reverse("leaderboard", args=[benchmark.pk])).content.decode()
    assert "Judge versus experts" in html and "chart-levels" in html
    drafts = leaderboard_compute(benchmark=benchmark).rows[0].overall
    humans = leaderboard_compute(benchmark=benchmark, source=Source.CONFIRMED).rows[0].overall
    assert drafts > humans  # the expert took back a point the judge had given
    assert f"{drafts:.2f}" in html and f"{humans:.2f}" in html


@pytest.mark.django_db
def test_the_leaderboard_api_answers_json(client, tmp_path):
    from django.urls import reverse

    from tests.factories import UserFactory

    import_variants("--release", "v1")
    benchmark = Benchmark.objects.get()
    url = reverse("api-leaderboard", args=[benchmark.pk])
    assert client.get(url).status_code == 401  # neither a session nor a token
    client.force_login(UserFactory(role="reviewer"))  # annotators judge blind
    answer = client.get(url, {"release": "v1", "source": "confirmed"})
    assert answer.status_code == 200
    assert answer.json() == {
        "benchmark": "mwb",
        "release": "v1",
        "source": "confirmed",
        "judge_model": None,
        "rows": [],
        "ahead": [],
        "uncertainty": {
            "method": "paired percentile bootstrap over tasks",
            "resamples": 2000,
            "seed": 0,
            "confidence": 0.95,
            "tasks": benchmark.tasks.count(),
        },
        "calibration": None,  # no calibration sample (and the experts' verdicts)
    }
    assert client.get(url, {"source": "guesses"}).status_code == 400
    assert client.get(url, {"release": "v9"}).status_code == 404
