"""pytest hooks shared by the module's tests and the root tests/ (run by ``./dev test``).

A green run proves what it claims: besides failures, the run fails when

- a test was skipped (Odoo skips, rather than fails, a browser test when Chromium cannot start, so a tour
  could vanish from CI unseen), except the skips named in ``ALLOWED_SKIPS``;
- fewer tests ran than ``TEST_FLOOR`` in a whole run (a module that stopped importing a test file);
- Odoo logged an error or a critical message during the tests that no test expected (``mute_logger`` or
  ``assertLogs`` around the code that must log it), as Odoo's own test runner does.
"""

import logging
import threading

import pytest

import odoo

# A whole run (no test path given) runs at least this many tests; raise it when tests are added.
TEST_FLOOR = 200
# node id -> why the skip is expected; empty: no test may be skipped.
ALLOWED_SKIPS = {}


class _ErrorRecorder(logging.Handler):
    """Keeps the errors Odoo logs while the tests run."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)


_errors = _ErrorRecorder()
_outcomes = {"ran": set(), "skipped": []}


def pytest_configure(config):
    logging.getLogger("odoo").addHandler(_errors)


def pytest_collection_finish(session):
    # ./dev starts Odoo in test mode (--test-enable) so that importing odoo.tests is legitimate; test
    # mode goes off while pytest-odoo loads the registry, lest loading it run the tests of every
    # installed module. pytest-odoo turns it on again around each test module.
    odoo.tools.config["test_enable"] = False
    session.config._sales_campaign_whole_run = not any(
        "::" in arg or arg.endswith(".py") for arg in session.config.args
    )


def pytest_runtest_logreport(report):
    if report.when == "call" and not report.skipped:
        _outcomes["ran"].add(report.nodeid)  # subtests report several times
    if report.skipped and report.nodeid not in ALLOWED_SKIPS:
        _outcomes["skipped"].append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    problems = []
    if _outcomes["skipped"]:
        problems.append("skipped tests: " + ", ".join(_outcomes["skipped"]))
    ran = len(_outcomes["ran"])
    if getattr(session.config, "_sales_campaign_whole_run", False) and ran < TEST_FLOOR:
        problems.append(f"only {ran} tests ran, fewer than the floor of {TEST_FLOOR}")
    if _errors.records:
        problems.append(
            "errors logged by Odoo during the tests: "
            + "; ".join(f"{record.name}: {record.getMessage()[:200]}" for record in _errors.records[:10])
        )
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter:
        reporter.write_line(f"sales_campaign: {ran} tests ran")
        for problem in problems:
            reporter.write_line(f"sales_campaign: FAILED: {problem}", red=True)
    if problems and session.exitstatus == 0:
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _odoo_test_thread():
    """Each test runs in a thread marked as Odoo's test runner marks it (``odoo.tests.loader.run_suite``): Odoo's
    own code asks it, the mail queue's ``send`` not committing inside a test, say."""
    thread = threading.current_thread()
    thread.testing = True
    yield
    thread.testing = False
