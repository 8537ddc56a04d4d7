import os

import pytest


@pytest.fixture(scope="session")
def repo_root():
    return os.environ.get("SALES_CAMPAIGN_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
