"""pytest hooks shared by the module's tests and the root tests/ (run by ``./dev test``)."""

import odoo


def pytest_collection_finish(session):
    # ./dev starts Odoo in test mode (--test-enable) so that importing odoo.tests is legitimate; test
    # mode goes off while pytest-odoo loads the registry, lest loading it run the tests of every
    # installed module. pytest-odoo turns it on again around each test module.
    odoo.tools.config["test_enable"] = False
