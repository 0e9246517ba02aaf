"""Each kind of background work has its queue, so production runs a worker per queue
(bin/run worker <queue>), and a worker started without -Q consumes them all."""

import pytest

from annotator.celery import app

app.loader.import_default_modules()  # the apps' tasks modules, as a worker loads them


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("annotator.tasks.video_process", "media"),
        ("annotator.tasks.judge_draft_task", "judge"),
        ("annotator.tasks.clip_draft_task", "judge"),
        ("rubrics_app.tasks.criteria_draft_task", "default"),
        ("annotator.tasks.outbox_flush", "default"),
        ("annotator.tasks.videos_requeue_stale", "default"),
    ],
)
def test_it_routes_each_task_to_its_queue(task, queue):
    assert task in app.tasks
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_it_sends_every_task_of_the_app_to_one_of_the_three():
    names = [n for n in app.tasks if n.startswith(("annotator.", "rubrics_app."))]
    assert len(names) >= 6
    assert {app.amqp.router.route({}, n)["queue"].name for n in names} == {
        "default",
        "media",
        "judge",
    }


def test_a_worker_without_queues_consumes_all_three():
    assert set(app.amqp.queues) == {"default", "media", "judge"}
