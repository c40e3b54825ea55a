# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""validation.private_directory: a directory only this user can change."""

from __future__ import annotations

import os

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import validation
from ansible_collections.rootguard.aws.plugins.module_utils.errors import InvalidInput

RUNNING_AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
OTHER_USER = 65534


@pytest.fixture
def here(tmp_path, monkeypatch):
    """Work in tmp_path, so that messages show short relative paths in full."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def refused(path: str, option: str = "backup_dir") -> str:
    with pytest.raises(InvalidInput) as excinfo:
        validation.private_directory(path, option)
    assert excinfo.value.error_class == "invalid_input"
    return excinfo.value.message


@pytest.mark.parametrize("mode", [0o700, 0o755, 0o750, 0o500, 0o1777, 0o1770, 0o3777])
def test_a_directory_only_this_user_can_change_is_accepted(here, mode):
    (here / "d").mkdir()
    (here / "d").chmod(mode)
    assert validation.private_directory("d", "backup_dir") == "d"


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o770, 0o757, 0o722, 0o2777])
def test_a_directory_others_can_write_without_the_sticky_bit_is_refused(here, mode):
    (here / "d").mkdir()
    (here / "d").chmod(mode)
    assert refused("d") == (f"backup_dir: 'd' is writable by other users (mode {mode:04o}) without the sticky bit: they could "
                            "replace what is written there. Use chmod go-w, or another directory.")


@pytest.mark.skipif(not RUNNING_AS_ROOT, reason="needs root to give a directory to another user")
@pytest.mark.parametrize("mode", [0o700, 0o1777])
def test_a_directory_of_another_user_is_refused_whatever_its_mode(here, mode):
    (here / "d").mkdir()
    (here / "d").chmod(mode)
    os.chown(here / "d", OTHER_USER, OTHER_USER)
    assert refused("d", "report_dir") == (f"report_dir: 'd' is owned by user id {OTHER_USER}, not by this user (0): another user could "
                                          "replace what is written there. Use a directory of your own.")


def test_a_directory_of_root_is_accepted_for_any_user(here):
    (here / "d").mkdir(mode=0o755)
    if RUNNING_AS_ROOT:
        assert os.stat(here / "d").st_uid == 0
    assert validation.private_directory("d", "backup_dir") == "d"


def test_a_missing_path_or_a_file_is_refused(here):
    assert refused("missing") == "backup_dir: 'missing' cannot be read (No such file or directory)."
    (here / "f").write_text("")
    assert refused("f") == "backup_dir: 'f' is not a directory."


def test_a_symlink_is_judged_by_the_directory_it_points_to(here):
    (here / "mine").mkdir(mode=0o700)
    (here / "shared").mkdir()
    (here / "shared").chmod(0o777)
    (here / "to-mine").symlink_to(here / "mine")
    (here / "to-shared").symlink_to(here / "shared")
    assert validation.private_directory("to-mine", "backup_dir") == "to-mine"
    assert "is writable by other users (mode 0777)" in refused("to-shared")
