"""``./dev`` says in one line why Odoo cannot be had, and fails: it never skips the test suite silently."""

import os
import subprocess
import tarfile

import pytest

ROOT = os.environ.get("SALES_CAMPAIGN_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_dev(tmp_path, odoo_source):
    env = dict(os.environ, SALES_CAMPAIGN_CACHE=str(tmp_path / "cache"), ODOO_SOURCE=str(odoo_source))
    env.pop("PGHOST", None)
    return subprocess.run(
        [os.path.join(ROOT, "dev"), "test"], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def assert_one_line_failure(result, expected):
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr, result.stderr
    reason = lines[-1]  # earlier lines only tell what ./dev was doing
    assert reason.startswith("dev: "), result.stderr
    assert expected in reason, result.stderr


def test_missing_source(tmp_path):
    assert_one_line_failure(run_dev(tmp_path, tmp_path / "nowhere"), "does not exist")


def test_folder_without_odoo(tmp_path):
    (tmp_path / "empty").mkdir()
    assert_one_line_failure(run_dev(tmp_path, tmp_path / "empty"), "holds no Odoo source tree")


@pytest.mark.parametrize("major", [17, 19])
def test_archive_of_another_odoo_version(tmp_path, major):
    tree = tmp_path / f"odoo-{major}.0"
    (tree / "odoo").mkdir(parents=True)
    (tree / "addons").mkdir()
    (tree / "odoo-bin").write_text("#!/usr/bin/env python3\n")
    (tree / "requirements.txt").write_text("")
    (tree / "odoo" / "release.py").write_text(f"version_info = ({major}, 0, 0, 'final', 0, '')\n")
    archive = tmp_path / f"odoo_{major}.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tree, arcname=tree.name)
    assert_one_line_failure(run_dev(tmp_path, archive), "is not Odoo 18.0")
