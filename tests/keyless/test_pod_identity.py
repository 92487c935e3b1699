"""EKS Pod Identity, proven by botocore's credential chain against a stand-in Pod Identity Agent.

The pod process gets what EKS injects: AWS_CONTAINER_CREDENTIALS_FULL_URI (the agent, on
loopback) and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (its projected service-account token),
plus where S3 and STS are (moto) and IMDS switched off, so nothing leaves the machine. The agent
decides from the declared associations; moto enforces the declared role's policies.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import aws_stack, run
from tests.harness.labelstudio import LabelStudio
from tests.harness.s3_world import REGION
from tests.keyless import eks
from tests.keyless.cluster import Pod, RenderedPod
from tests.keyless.label_studio_case import (
    Imported,
    assert_stored_and_read_back,
    import_tasks,
    label_studio_as,
    try_import,
)
from tests.keyless.loopback import serving
from tests.keyless.pod import (
    DENIED_STEPS,
    PROBE,
    assert_round_trip,
    control_steps,
    ok,
    probe_key,
    run_named,
    storage_steps,
)
from tools.mockrun import ACCOUNT, Declaration, reveal

# The pod is the app container of the rendered chart: this needs the end-to-end set-up (helm-python-sdk).
pytestmark = pytest.mark.e2e

CLUSTER = "ml-prod"
FOLDER = "media"
OTHER_BUCKET = "someone-elses-bucket"


@pytest.fixture(scope="module")
def declared() -> Declaration:
    return run(aws_stack(access="pod-identity", aws={"clusterName": CLUSTER}, folder=FOLDER))


@pytest.fixture(scope="module")
def world(declared) -> Iterator[eks.World]:
    with eks.aws_world(declared, existing_roles={}, other_buckets=[OTHER_BUCKET]) as world:
        yield world


@contextmanager
def on_eks(pod: Pod, declared: Declaration, world: eks.World, home: Path) -> Iterator[dict[str, str]]:
    """The environment EKS gives `pod` on a node with the Pod Identity Agent; S3 and STS are moto's."""
    token = secrets.token_urlsafe(32)
    token_file = home / "eks-pod-identity-token"
    home.mkdir(parents=True, exist_ok=True)
    token_file.write_text(token)
    agent = eks.pod_identity_agent(CLUSTER, {token: pod}, eks.declared_associations(declared))
    with serving(agent) as address:
        yield {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://{address}/v1/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file),
            "AWS_ENDPOINT_URL_S3": world.endpoint,
            "AWS_ENDPOINT_URL_STS": world.endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
        }


def run_as(
    pod: Pod, declared: Declaration, world: eks.World, steps: dict[str, list[str]], home: Path
) -> dict[str, Any]:
    """`steps` run by a process that EKS started as `pod`."""
    with on_eks(pod, declared, world, home) as environment:
        return run_named("aws", REGION, steps, environment, home)


@pytest.fixture(scope="module")
def the_pod(declared, rendered, world, tmp_path_factory) -> dict[str, Any]:
    return run_as(
        rendered.pod,
        declared,
        world,
        storage_steps(world.bucket, FOLDER, OTHER_BUCKET),
        tmp_path_factory.mktemp("pod"),
    )


def declared_role_name(declared: Declaration) -> str:
    (association,) = eks.declared_associations(declared)
    return association.role_arn.rsplit("/", 1)[1]


def test_the_declared_trust_lets_eks_pod_identity_assume_the_role_and_tag_the_session(declared):
    """What the agent checks before it assumes the role; the check can fail."""
    trust = json.loads(reveal(declared.one("aws:iam/role:Role").inputs)["assumeRolePolicy"])
    assert eks.trusts(trust, eks.POD_IDENTITY_SERVICE, eks.POD_IDENTITY_ACTIONS)
    assert not eks.trusts(trust, eks.EC2_SERVICE, ["sts:AssumeRole"])
    without_tagging = eks.service_trust(eks.POD_IDENTITY_SERVICE)
    assert not eks.trusts(without_tagging, eks.POD_IDENTITY_SERVICE, eks.POD_IDENTITY_ACTIONS)


def test_the_pod_gets_a_session_of_the_declared_role(the_pod, declared):
    assert ok(the_pod["whoami"]), the_pod["whoami"]
    assert the_pod["whoami"]["value"].startswith(
        f"arn:aws:sts::{ACCOUNT}:assumed-role/{declared_role_name(declared)}/eks-{CLUSTER}-"
    )


def test_the_upload_lands_under_the_folder_and_reads_back(the_pod, world):
    assert_round_trip(the_pod, FOLDER)
    assert world.operator.get_object(Bucket=world.bucket, Key=probe_key(FOLDER))["Body"].read() == PROBE.encode()


def test_the_link_is_sigv4_signed_by_a_session_of_the_declared_role(the_pod, world, declared):
    link = the_pod["sign"]
    assert ok(link), link
    (association,) = eks.declared_associations(declared)
    eks.assert_signed_by_a_session_of(link["value"], association.role_arn, world, probe_key(FOLDER))


def test_the_role_is_denied_outside_its_folder_and_bucket(the_pod, world):
    eks.assert_denied_elsewhere(the_pod, DENIED_STEPS, world, OTHER_BUCKET)
    assert [key for key, _ in world.contents(world.bucket)] == [probe_key(FOLDER)]


@pytest.mark.parametrize(
    "elsewhere",
    [{"namespace": "default"}, {"service_account": "default"}],
    ids=["another-namespace", "another-service-account"],
)
def test_the_same_pod_elsewhere_cannot_store_anything(declared, rendered, world, tmp_path_factory, elsewhere):
    pod = replace(rendered.pod, **elsewhere)
    before = world.contents(world.bucket)
    outcomes = run_as(pod, declared, world, control_steps(world.bucket, FOLDER), tmp_path_factory.mktemp("pod"))
    assert not any(ok(outcome) for outcome in outcomes.values()), outcomes
    # Refused where EKS refuses: at the agent, for want of an association.
    assert all("no Pod Identity association" in outcome["message"] for outcome in outcomes.values()), outcomes
    assert world.contents(world.bucket) == before


# -- Label Studio itself --------------------------------------------------------------------------


@contextmanager
def label_studio_on_eks(
    pod: Pod, declared: Declaration, rendered: RenderedPod, world: eks.World, root: Path
) -> Iterator[LabelStudio]:
    """Label Studio started as the rendered app container, run by EKS as `pod`; S3 is moto
    (STORAGE_AWS_ENDPOINT_URL, the chart's `endpointUrl`)."""
    with (
        on_eks(pod, declared, world, root / "pod") as platform,
        label_studio_as(rendered, platform, {"STORAGE_AWS_ENDPOINT_URL": world.endpoint}, root) as server,
    ):
        yield server


@pytest.fixture(scope="module")
def label_studio_case(declared, rendered, world, tmp_path_factory) -> Iterator[Imported]:
    root = tmp_path_factory.mktemp("label-studio")
    with label_studio_on_eks(rendered.pod, declared, rendered, world, root) as server:
        yield import_tasks(server, "pod identity")


def test_label_studio_stores_under_the_folder_and_reads_it_back(label_studio_case, world):
    assert_stored_and_read_back(label_studio_case, FOLDER, world.stored)


def test_label_studio_links_are_signed_by_a_session_of_the_declared_role(label_studio_case, declared, world):
    link = label_studio_case.server.storage_link(label_studio_case.file)
    (association,) = eks.declared_associations(declared)
    eks.assert_signed_by_a_session_of(link, association.role_arn, world, label_studio_case.key(FOLDER))


def test_label_studio_under_another_service_account_cannot_store_anything(declared, rendered, world, tmp_path_factory):
    elsewhere = replace(rendered.pod, service_account="default")
    before = world.contents(world.bucket)
    with label_studio_on_eks(elsewhere, declared, rendered, world, tmp_path_factory.mktemp("label-studio")) as server:
        answer = try_import(server)
    assert answer.status_code >= 400, answer.text[:500]
    # Refused where EKS refuses: at the agent, for want of an association.
    assert "no Pod Identity association" in answer.text, answer.text[:500]
    assert world.contents(world.bucket) == before
