"""Fixtures of the policy tests: the program's AWS stacks, each run once, and the pack over gRPC."""

from __future__ import annotations

import pytest

from policy.rules import Resource
from tests.conftest import aws_stack, run
from tests.harness.policy_analyzer import running_pack
from tests.policy.stacks import Programs
from tools.plan import policy_resources


@pytest.fixture(scope="module")
def aws_resources() -> list[Resource]:
    return policy_resources(
        run(aws_stack(access="access-keys", credentials="inline", enterprise=True, aws={"encryption": "kms"}))
    )


@pytest.fixture(scope="module")
def irsa_resources() -> list[Resource]:
    return policy_resources(run(aws_stack(enterprise=True)))


@pytest.fixture(scope="module")
def policy_pack():
    with running_pack() as stub:
        yield stub


@pytest.fixture(scope="module")
def programs() -> Programs:
    return Programs()
