import pytest

from karte.disposals.tests.helpers import use_private_dir


@pytest.fixture
def private_dir(settings, tmp_path):
    """A fresh KARTE_PRIVATE_FILES_DIR for the test's certificates."""
    return use_private_dir(settings, tmp_path)
