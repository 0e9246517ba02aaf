"""The test suite: one folder per part of the code (annotator, rubrics_app, api), browser/
for Chromium, deploy/ for the production service, rules/ for the guarantees checked over
every URL or module; shared builders and helpers at this level."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository
