import json

import pytest
from django.core.management import CommandError, call_command

from rubrics_app.choices import CriterionStatus, Level
from rubrics_app.models import Benchmark, Criterion, Task
from tests.factories import BenchmarkFactory
from tests.rubric_files import DATA, as_data, load

pytestmark = pytest.mark.django_db


def import_rubrics(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("import_rubrics", *args, stdout=out)
    return out.getvalue()


def test_it_round_trips_every_variant(tmp_path):
    import_rubrics(
        str(DATA / "rubrics_variants.json"),
        "--tasks",
        str(DATA / "tasks_variants.json"),
        "--benchmark",
        "mwb",
    )
    out = tmp_path / "out.json"
    tasks_out = tmp_path / "tasks_out.json"
    call_command("export_rubrics", str(out), "--tasks", str(tasks_out))

    exported = json.loads(out.read_text())
    assert as_data(exported) == as_data(load("rubrics_variants.json"))
    assert json.loads(tasks_out.read_text()) == load("tasks_variants.json")
    # Polarity goes back as the "+1"/"-1" strings of the published file.
    assert exported[0]["rubrics_instruction"]["s4"] == "+1"
    assert exported[0]["rubrics_instruction"]["s5"] == "-1"
    assert exported[0]["rubrics_scientific"]["w2"] == "1"


def test_it_reads_the_variants_faithfully():
    import_rubrics(
        str(DATA / "rubrics_variants.json"),
        "--tasks",
        str(DATA / "tasks_variants.json"),
        "--benchmark",
        "mwb",
    )
    chinese = Task.objects.get(index=2)
    assert chinese.prompt == "细胞有丝分裂" and chinese.chinese_keys
    assert chinese.level == Level.CELLULAR
    numbers = list(
        chinese.criteria.filter(dimension="scientific").values_list("number", "position")
    )
    assert numbers == [(11, 0), (22, 1), (33, 2), (44, 3), (55, 4)]
    first = Task.objects.get(index=1)
    assert first.prompt_zh == "红细胞流过毛细血管"
    assert first.source_ref == "LabChannel_Capillary flow_https://example.org/v/1"
    weights = {c.number: c.weight for c in first.criteria.filter(dimension="visual")}
    assert weights[2] == 0 and weights[4] == 0
    penalty = first.criteria.get(dimension="scientific", number=5)
    assert penalty.polarity == -1 and penalty.status == CriterionStatus.APPROVED
    # Both the English and the Chinese prompt key: English is used, Chinese kept.
    assert Task.objects.get(index=3).rubric_extra["任务"] == "囊泡沿微管移动"


def test_it_reports_accepted_anomalies_as_warnings():
    out = import_rubrics(str(DATA / "rubrics_variants.json"), "--benchmark", "mwb")
    assert "warning: task 1, rubrics_visual: 4 criteria (usually 5)" in out
    assert (
        "warning: task 2, rubrics_scientific: numbered 11, 22, 33, 44, 55 rather than 1 to 5" in out
    )
    assert "warning: task 2, rubrics_visual: numbered 2, 3, 7" in out


def test_reimporting_the_same_file_changes_nothing():
    path = str(DATA / "rubrics_variants.json")
    import_rubrics(path, "--benchmark", "mwb")
    before = list(Criterion.objects.order_by("pk").values())
    out = import_rubrics(path)
    assert "tasks 0 created, 0 updated, 3 unchanged" in out
    assert "criteria 0 created, 0 updated, 41 unchanged, 0 retired" in out
    assert list(Criterion.objects.order_by("pk").values()) == before


def test_reimport_updates_changed_criteria_and_retires_removed_ones(tmp_path):
    data = load("rubrics_variants.json")
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    import_rubrics(str(path), "--benchmark", "mwb")
    data[0]["rubrics_scientific"]["w1"] = "3"
    for letter in "dsw":
        del data[0]["rubrics_scientific"][f"{letter}5"]
    path.write_text(json.dumps(data))
    out = import_rubrics(str(path))
    assert "criteria 0 created, 1 updated, 39 unchanged, 1 retired" in out
    changed = Criterion.objects.get(task__index=1, dimension="scientific", number=1)
    assert changed.weight == 3 and changed.version == 2
    removed = Criterion.objects.get(task__index=1, dimension="scientific", number=5)
    assert removed.status == CriterionStatus.RETIRED
    # Retired criteria are not exported.
    out_file = tmp_path / "out.json"
    call_command("export_rubrics", str(out_file))
    assert "d5" not in json.loads(out_file.read_text())[0]["rubrics_scientific"]


def _entry(**overrides):
    entry = {
        "index": 7,
        "task": "t",
        "requirement": "r",
        "rubrics_scientific": {"d1": "a", "s1": "+1", "w1": "1"},
        "rubrics_visual": {"d1": "b", "s1": "+1", "w1": "1"},
        "rubrics_instruction": {"d1": "c", "s1": "+1", "w1": "1"},
    }
    entry.update(overrides)
    return entry


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"index": 1}, "rubric file: expected a JSON array of task objects, got dict"),
        (["x"], "entry 1: expected an object, got str"),
        ([_entry(index="7")], "entry 1, key 'index': expected a non-negative integer, got '7'"),
        ([_entry(), _entry()], "task 7, key 'index': the index appears more than once"),
        (
            [{k: v for k, v in _entry().items() if k != "task"}],
            "task 7: missing key 'task' (or '任务')",
        ),
        (
            [{k: v for k, v in _entry().items() if k != "requirement"}],
            "task 7: missing key 'requirement' (or '具体要求')",
        ),
        ([_entry(task=5)], "task 7, key 'task': expected a string, got 5"),
        (
            [{k: v for k, v in _entry().items() if k != "rubrics_visual"}],
            "task 7: missing key 'rubrics_visual'",
        ),
        ([_entry(rubrics_visual=["a"])], "task 7, rubrics_visual: expected an object"),
        (
            [_entry(rubrics_visual={"d1": "b", "w1": "1"})],
            "task 7, rubrics_visual.s1: criterion d1 has no polarity s1",
        ),
        (
            [_entry(rubrics_visual={"d1": "b", "s1": "+1"})],
            "task 7, rubrics_visual.w1: criterion d1 has no weight w1",
        ),
        (
            [_entry(rubrics_visual={"s2": "+1", "w2": "1"})],
            "task 7, rubrics_visual.d2: s2, w2 given but no criterion text d2",
        ),
        (
            [_entry(rubrics_visual={"d1": "b", "s1": "+2", "w1": "1"})],
            'task 7, rubrics_visual.s1: polarity must be "+1" or "-1", got \'+2\'',
        ),
        (
            [_entry(rubrics_visual={"d1": "b", "s1": 0, "w1": "1"})],
            'task 7, rubrics_visual.s1: polarity must be "+1" or "-1", got 0',
        ),
        (
            [_entry(rubrics_visual={"d1": "b", "s1": "+1", "w1": "-0.5"})],
            "task 7, rubrics_visual.w1: weight must be a non-negative number, got '-0.5'",
        ),
        (
            [_entry(rubrics_visual={"d1": "b", "s1": "+1", "w1": "heavy"})],
            "task 7, rubrics_visual.w1: weight must be a non-negative number, got 'heavy'",
        ),
        (
            [_entry(rubrics_visual={"d1": "b", "s1": "+1", "w1": True})],
            "task 7, rubrics_visual.w1: weight must be a non-negative number, got True",
        ),
        (
            [_entry(rubrics_visual={"d1": "b", "s1": "+1", "w1": "NaN"})],
            "task 7, rubrics_visual.w1: weight must be a non-negative number, got 'NaN'",
        ),
        (
            [_entry(rubrics_visual={"d1": "b", "s1": "+1", "w1": "0.1234567"})],
            "task 7, rubrics_visual.w1: weight '0.1234567' has more than 6 decimal places",
        ),
        (
            [_entry(rubrics_visual={"d01": "b", "s01": "+1", "w01": "1"})],
            "task 7, rubrics_visual.d01: criterion numbers are positive integers",
        ),
        (
            [_entry(rubrics_visual={"d1": 3, "s1": "+1", "w1": "1"})],
            "task 7, rubrics_visual.d1: criterion text must be a string, got 3",
        ),
    ],
)
def test_it_refuses_bad_rubric_files_and_writes_nothing(tmp_path, data, message):
    existing = BenchmarkFactory(name="mwb")
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    with pytest.raises(CommandError) as excinfo:
        import_rubrics(str(path), "--benchmark", "other")
    assert message in str(excinfo.value)
    assert list(Benchmark.objects.all()) == [existing]
    assert not Task.objects.exists()


def test_it_reports_every_error_at_once(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            [
                _entry(index=1, rubrics_visual={"d1": "b", "s1": "x", "w1": "1"}),
                _entry(index=2, rubrics_scientific={"d1": "b", "s1": "+1", "w1": "-1"}),
            ]
        )
    )
    with pytest.raises(CommandError) as excinfo:
        import_rubrics(str(path), "--benchmark", "b")
    assert "task 1, rubrics_visual.s1" in str(excinfo.value)
    assert "task 2, rubrics_scientific.w1" in str(excinfo.value)


def test_a_bad_task_metadata_file_writes_nothing(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([{"index": 1, "final_label": "Tissue-level", "id": "x"}]))
    with pytest.raises(CommandError) as excinfo:
        import_rubrics(
            str(DATA / "rubrics_variants.json"), "--tasks", str(path), "--benchmark", "b"
        )
    assert (
        "task 1, key 'final_label': 'Tissue-level' is not one of Organ-level, "
        "Cellular-level, Subcellular-level"
    ) in str(excinfo.value)
    assert not Benchmark.objects.exists()


def test_a_file_that_is_not_json_is_named(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("[{")
    with pytest.raises(CommandError, match=r"bad.json: not valid JSON"):
        import_rubrics(str(path), "--benchmark", "b")


def test_the_benchmark_may_be_left_out_only_when_there_is_one(tmp_path):
    path = str(DATA / "rubrics_variants.json")
    with pytest.raises(CommandError, match="there is no benchmark yet"):
        import_rubrics(path)
    BenchmarkFactory(name="a")
    import_rubrics(path)
    assert Task.objects.filter(benchmark__name="a").count() == 3
    BenchmarkFactory(name="b")
    with pytest.raises(CommandError, match=r"several benchmarks exist \(a, b\)"):
        call_command("export_rubrics", str(tmp_path / "x.json"))
    with pytest.raises(CommandError, match="no benchmark named 'c'"):
        call_command("export_rubrics", str(tmp_path / "x.json"), "--benchmark", "c")
