# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The unit tests run with two botocores: the development venv's pin (requirements-dev.txt), which knows every
call and field AWS added after the floor, so no test marked needs_botocore_knowing is skipped there; and the floor
itself (clients.MINIMUM_BOTOCORE, the matrix's oldest-botocore run), which knows none of them."""

from __future__ import annotations

import pathlib
import re

import botocore

from ansible_collections.rootguard.aws.plugins.module_utils.clients import MINIMUM_BOTOCORE
from botocore_model import botocore_knows

REQUIREMENTS_DEV = pathlib.Path(__file__).resolve().parents[4] / "requirements-dev.txt"
# Added to the models after the floor; needs_botocore_knowing marks the tests of each.
NEWER_THAN_THE_FLOOR = [
    ("iam", "EnableOrganizationLevelResources", None),
    ("organizations", "Account", "Paths"),
    ("sts", "AssumeRootResponse", "SessionTokenSize"),
]
# What the floor must know: State where the collection reads an account's state.
KNOWN_AT_THE_FLOOR = [
    ("organizations", "Account", "State"),
    ("organizations", "DelegatedAdministrator", "State"),
    ("sts", "AssumeRoot", None),
    ("iam", "EnableOrganizationsRootSessions", None),
]


def test_the_unit_tests_run_with_the_development_pin_or_the_floor():
    pinned = re.search(r"^botocore==(\S+)$", REQUIREMENTS_DEV.read_text(), flags=re.MULTILINE).group(1)
    assert botocore.__version__ in (pinned, MINIMUM_BOTOCORE)
    assert all(botocore_knows(*item) for item in KNOWN_AT_THE_FLOOR)
    knows = [botocore_knows(*item) for item in NEWER_THAN_THE_FLOOR]
    assert knows == [botocore.__version__ == pinned] * len(NEWER_THAN_THE_FLOOR)
