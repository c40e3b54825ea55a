# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the installed botocore's service models know, for the tests of fields and calls AWS added after
the collection's botocore floor (clients.MINIMUM_BOTOCORE)."""

from __future__ import annotations

import botocore.session
import pytest


def botocore_knows(service: str, shape: str, member: str | None = None) -> bool:
    """Whether the installed botocore's model of ``service`` has ``shape`` (an operation or a structure) and,
    with ``member``, that member of it."""
    model = botocore.session.get_session().get_service_model(service)
    if member is None:
        return shape in model.operation_names or shape in model.shape_names
    return shape in model.shape_names and member in model.shape_for(shape).members


def needs_botocore_knowing(service: str, shape: str, member: str | None = None):
    """Marks a test of a field or call AWS added after the collection's botocore floor: it runs where the installed
    botocore knows it (the development venv) and is skipped, with this reason, where it does not (the matrix's
    oldest-botocore run, which lists exactly which tests it expects skipped)."""
    name = f"{service} {shape}{'.' + member if member else ''}"
    return pytest.mark.skipif(not botocore_knows(service, shape, member), reason=f"the installed botocore does not know {name}")
