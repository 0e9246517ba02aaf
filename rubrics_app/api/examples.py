"""Examples in the OpenAPI schema of the rubric API."""

from typing import Any

CRITERION_EXAMPLE = {
    "id": 17,
    "task": 3,
    "dimension": "scientific",
    "number": 2,
    "position": 1,
    "text": "Red blood cells have no nucleus.",
    "polarity": 1,
    "weight": 2.0,
    "status": "approved",
    "origin": "imported",
    "version": 4,
    "updated_at": "2025-05-02T09:14:00Z",
}
TASK_EXAMPLE = {
    "id": 3,
    "benchmark": 1,
    "index": 3,
    "prompt": "Blood flow through a stroke-blocked vessel",
    "requirement": "Show the clot, the stalled flow upstream and the ischemic tissue.",
    "level": "Organ-level",
    "source_ref": "channel_title_https://example.org/v",
    "metadata": {"任务中文": "中风血管中的血流"},
    "updated_at": "2025-05-02T09:14:00Z",
    "criteria": [CRITERION_EXAMPLE],
}
RELEASE_EXAMPLE = {
    "id": 2,
    "benchmark": 1,
    "name": "v1.0",
    "weight_scheme": "published",
    "notes": "",
    "created_at": "2025-05-03T10:00:00Z",
    "n_tasks": 459,
    "n_criteria": 6885,
    "exports": {
        kind: f"https://annotator.example/api/v1/releases/2/export/{kind}"
        for kind in ("rubrics", "jsonl", "csv")
    },
}


def page_of(example: dict[str, Any]) -> dict[str, Any]:
    return {
        "next": "https://annotator.example/api/v1/…?cursor=cD0xMDA%3D",
        "previous": None,
        "results": [example],
    }
