import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from annotator.models import GeneratorModel, JudgeEvaluation, Judgment, Video
from annotator.models.choices import VerdictSource, VerdictStatus
from rubrics_app.models import Criterion
from tests.factories import UserFactory
from tests.rubric_files import import_variants

pytestmark = pytest.mark.django_db


@pytest.fixture
def benchmark():
    return import_variants()


def evaluation(scores, reasoning="looks right", raw=None):
    raw = raw if raw is not None else json.dumps({"scores": scores, "reasoning": reasoning})
    return {"raw_response": raw, "parsed_result": {"scores": scores, "reasoning": reasoning}}


def result_file():
    # Task 1 has 5 scientific, 4 visual and 5 instruction criteria; task 2 has 5, 3, 5.
    return [
        {
            "index": 1,
            "video_path": "videos/Sora/1.mp4",
            "scientific_eval": evaluation([1, 0, 1, 1, 1]),
            "visual_eval": evaluation([1, 1, 0, 1]),
            "instruction_eval": evaluation([0, 0, 1, 1, 0]),
        },
        {
            "index": 2,
            "video_path": "videos/Sora/2.mp4",
            "scientific_eval": None,
            "visual_eval": evaluation([1, 1]),
            "instruction_eval": evaluation([1, 1, 0, 1, 1], reasoning="ok"),
        },
    ]


def run(command, *args):
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def write(tmp_path, data, name="Sora_result.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_it_imports_drafts_and_reports_skipped_dimensions(benchmark, tmp_path):
    out = run("import_results", "Sora", write(tmp_path, result_file()))
    assert "warning: task 2, scientific_eval: null (the judge failed); not imported" in out
    assert "warning: task 2, visual_eval: 2 scores for 3 criteria; not imported" in out
    assert "dimensions 4 imported, 2 skipped" in out
    assert (
        Judgment.objects.filter(source=VerdictSource.LLM, status=VerdictStatus.DRAFT).count() == 19
    )
    video = Video.objects.get(task__index=1, generator__name="Sora")
    assert video.source_path == "videos/Sora/1.mp4" and not video.file
    verdicts = [
        j.verdict
        for j in Judgment.objects.filter(video=video, criterion__dimension="scientific").order_by(
            "criterion__position"
        )
    ]
    assert verdicts == [1, 0, 1, 1, 1]
    assert not Judgment.objects.filter(video__task__index=2, criterion__dimension="visual")


def test_reimporting_changes_nothing_and_export_gives_the_file_back(benchmark, tmp_path):
    path = write(tmp_path, result_file())
    run("import_results", "Sora", path)
    before = list(Judgment.objects.order_by("pk").values())
    out = run("import_results", "Sora", path)
    assert "draft verdicts 0 created, 0 updated, 19 unchanged" in out
    assert list(Judgment.objects.order_by("pk").values()) == before

    run("export_results", "Sora", str(tmp_path / "out.json"))
    expected = result_file()
    expected[1]["visual_eval"] = None  # skipped on import: it did not fit the criteria
    assert json.loads((tmp_path / "out.json").read_text()) == expected


def test_it_exports_confirmed_verdicts(benchmark, tmp_path):
    run("import_results", "Sora", write(tmp_path, result_file()))
    video = Video.objects.get(task__index=1)
    expert, other = UserFactory(), UserFactory()
    for criterion in Criterion.objects.filter(task__index=1, dimension="visual"):
        for user, verdict in ((other, 1), (expert, 0)):  # expert's verdict is the newer one
            Judgment.objects.create(
                video=video,
                criterion=criterion,
                verdict=verdict,
                source=VerdictSource.HUMAN,
                user=user,
                status=VerdictStatus.CONFIRMED,
            )
    run("export_results", "Sora", str(tmp_path / "out.json"), "--confirmed")
    entries = json.loads((tmp_path / "out.json").read_text())
    assert entries[0]["visual_eval"]["parsed_result"]["scores"] == [0, 0, 0, 0]
    assert entries[0]["scientific_eval"] is None  # no human verdicts there yet
    assert entries[1] == {
        "index": 2,
        "video_path": "videos/Sora/2.mp4",
        "scientific_eval": None,
        "visual_eval": None,
        "instruction_eval": None,
    }


def test_a_changed_file_updates_the_drafts(benchmark, tmp_path):
    run("import_results", "Sora", write(tmp_path, result_file()))
    data = result_file()
    data[0]["scientific_eval"] = evaluation([0, 0, 0, 0, 0], reasoning="nothing holds")
    out = run("import_results", "Sora", write(tmp_path, data))
    assert "draft verdicts 0 created, 4 updated, 15 unchanged" in out
    assert JudgeEvaluation.objects.get(video__task__index=1, dimension="scientific").reasoning == (
        "nothing holds"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"index": 1}, "judge result file: expected a JSON array, got dict"),
        ([{"video_path": "x"}], "entry 3, key 'index': expected an object with an integer index"),
        ([{"index": 3}, {"index": 3}], "task 3, key 'index': the index appears more than once"),
        ([{"index": 3, "video_path": 3}], "task 3, key 'video_path': expected a string, got 3"),
    ],
)
def test_a_malformed_file_writes_nothing(benchmark, tmp_path, data, message):
    with pytest.raises(CommandError) as excinfo:
        run(
            "import_results",
            "Sora",
            write(tmp_path, [*result_file(), *data] if isinstance(data, list) else data),
        )
    assert message in str(excinfo.value)
    assert not Judgment.objects.exists() and not GeneratorModel.objects.exists()


def test_bad_scores_skip_only_their_dimension(benchmark, tmp_path):
    data = result_file()[:1]
    data[0]["visual_eval"]["parsed_result"]["scores"] = [1, 2, 0, 1]
    data.append({"index": 99, "video_path": "x.mp4", "scientific_eval": None})
    out = run("import_results", "Sora", write(tmp_path, data))
    assert "task 1, visual_eval.parsed_result.scores: expected a list of 0 and 1" in out
    assert "warning: task 99: not in benchmark mwb; skipped" in out
    assert Judgment.objects.count() == 10


def test_export_names_the_judge_when_several_made_drafts(benchmark, tmp_path):
    path = write(tmp_path, result_file())
    run("import_results", "Sora", path)
    run("import_results", "Sora", path, "--judge", "gpt-5")
    with pytest.raises(CommandError, match=r"several judges \(gpt-5, published-judge\)"):
        run("export_results", "Sora", str(tmp_path / "out.json"))
    run("export_results", "Sora", str(tmp_path / "out.json"), "--judge", "gpt-5")
    with pytest.raises(CommandError, match="no generator model named 'Veo'"):
        run("export_results", "Veo", str(tmp_path / "out.json"))
