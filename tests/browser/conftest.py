import importlib

import pytest
from django.apps import apps


@pytest.fixture(autouse=True)
def reject_reasons():
    """The default reasons come from a data migration, which the transactional tests
    before this one flushed: put them back the way the migration does."""
    migration = importlib.import_module("annotator.migrations.0006_default_reject_reasons")
    migration.add(apps, None)
