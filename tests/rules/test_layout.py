"""The layout's dependency rule, read from the code (every import, at module level or
inside a function): rubrics_app uses the annotation side only through its shared core
and its models; the core and the models import no feature of either app."""

import ast
from pathlib import Path

import pytest

from tests import ROOT


def _modules() -> dict[str, Path]:
    found = {}
    for app in ("annotator", "rubrics_app"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """The project modules `name` imports (from x import y counts x.y when y is a module)."""
    tree = ast.parse(MODULES[name].read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if f"{node.module}.{alias.name}" in MODULES
            )
    return {m for m in found if m.split(".")[0] in ("annotator", "rubrics_app")}


def _within(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


# (who, what they may import of the project). The Django project's own modules
# (settings, the Celery app) are plumbing every layer may read.
PROJECT = {"annotator.settings", "annotator.celery", "annotator"}
RULES = {
    "rubrics_app": ("rubrics_app", "annotator.core", "annotator.models"),
    "annotator.core": ("annotator.core", "annotator.models"),
    # The two apps' models and their vocabularies (choices) refer to each other.
    "annotator.models": (
        "annotator.models",
        "annotator.core",
        "rubrics_app.models",
        "rubrics_app.choices",
    ),
    "rubrics_app.models": (
        "rubrics_app.models",
        "rubrics_app.choices",
        "annotator.models",
        "annotator.core",
    ),
}


@pytest.mark.parametrize("who", RULES)
def test_each_layer_imports_only_what_it_may(who):
    broken = sorted(
        f"{name} imports {imported}"
        for name in MODULES
        if _within(name, who)
        for imported in _imports(name)
        if not _within(imported, *RULES[who]) and imported not in PROJECT
    )
    assert not broken, "\n".join(broken)


def test_the_walk_sees_the_imports_it_checks():
    # A rule over nothing would pass: the walk finds the imports that exist.
    assert "annotator.models" in _imports("rubrics_app.selectors")
    assert len(MODULES) > 100
