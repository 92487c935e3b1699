"""The node role, proven by botocore's credential chain against a stand-in IMDSv2.

The pod process gets AWS_EC2_METADATA_SERVICE_ENDPOINT (the node's instance metadata, on
loopback) and where S3 and STS are (moto). The node role exists before the program runs, so it
is created in moto with the EC2 trust a node role has and nothing else; the program's one
contribution, the policy attachment, is applied exactly as declared.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import aws_stack, run
from tests.harness.labelstudio import LabelStudio
from tests.harness.s3_world import REGION
from tests.keyless import eks
from tests.keyless.cluster import RenderedPod
from tests.keyless.label_studio_case import (
    Imported,
    assert_stored_and_read_back,
    import_tasks,
    label_studio_as,
    try_import,
)
from tests.keyless.loopback import App, serving
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
from tools.mockrun import ACCOUNT, Declaration

# The pod is the app container of the rendered chart: this needs the end-to-end set-up (helm-python-sdk).
pytestmark = pytest.mark.e2e

NODE_ROLE = "eks-ml-nodes"
# Another node group of the same cluster, whose role the program was not asked to touch.
UNTOUCHED_NODE_ROLE = "eks-gpu-nodes"
FOLDER = "media"
OTHER_BUCKET = "someone-elses-bucket"
INSTANCE_ID = "i-0123456789abcdef0"


@pytest.fixture(scope="module")
def declared() -> Declaration:
    return run(aws_stack(access="node-role", aws={"nodeRoleName": NODE_ROLE}, folder=FOLDER))


@pytest.fixture(scope="module")
def world(declared) -> Iterator[eks.World]:
    node_roles = {name: eks.service_trust(eks.EC2_SERVICE) for name in (NODE_ROLE, UNTOUCHED_NODE_ROLE)}
    with eks.aws_world(declared, existing_roles=node_roles, other_buckets=[OTHER_BUCKET]) as world:
        yield world


def node_metadata(role_name: str) -> App:
    """IMDSv2 of a node whose instance profile holds `role_name`."""
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{role_name}"
    return eks.instance_metadata(
        role_name, lambda: eks.session_as_service(role_arn, eks.EC2_SERVICE, ["sts:AssumeRole"], INSTANCE_ID)
    )


@contextmanager
def on_node(role_name: str, world: eks.World) -> Iterator[dict[str, str]]:
    """The environment of a pod on a node whose role is `role_name`; S3 and STS are moto's."""
    with serving(node_metadata(role_name)) as address:
        yield {
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://{address}/",
            "AWS_ENDPOINT_URL_S3": world.endpoint,
            "AWS_ENDPOINT_URL_STS": world.endpoint,
        }


def run_on_node(role_name: str, world: eks.World, steps: dict[str, list[str]], home: Path) -> dict[str, Any]:
    """`steps` run by a pod on a node whose role is `role_name`."""
    with on_node(role_name, world) as environment:
        return run_named("aws", REGION, steps, environment, home)


@pytest.fixture(scope="module")
def the_pod(world, tmp_path_factory) -> dict[str, Any]:
    return run_on_node(
        NODE_ROLE, world, storage_steps(world.bucket, FOLDER, OTHER_BUCKET), tmp_path_factory.mktemp("pod")
    )


def test_the_metadata_stand_in_speaks_only_imdsv2():
    """A GET without a session token is refused (IMDSv1 off); a token comes from a PUT with a TTL,
    never from a request that went through a proxy (X-Forwarded-For)."""
    with serving(node_metadata(NODE_ROLE)) as address:
        path = f"http://{address}/latest/meta-data/iam/security-credentials/"
        token_path = f"http://{address}/latest/api/token"
        ttl = {"X-aws-ec2-metadata-token-ttl-seconds": "60"}
        assert requests.get(path, timeout=5).status_code == 401
        assert requests.put(token_path, timeout=5).status_code == 400
        assert requests.put(token_path, headers={**ttl, "X-Forwarded-For": "10.0.0.1"}, timeout=5).status_code == 403
        token = requests.put(token_path, headers=ttl, timeout=5).text
        assert requests.get(path, headers={"X-aws-ec2-metadata-token": token}, timeout=5).text == NODE_ROLE


def test_the_pod_gets_a_session_of_the_node_role(the_pod):
    assert ok(the_pod["whoami"]), the_pod["whoami"]
    assert the_pod["whoami"]["value"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{NODE_ROLE}/{INSTANCE_ID}"


def test_the_upload_lands_under_the_folder_and_reads_back(the_pod, world):
    assert_round_trip(the_pod, FOLDER)
    assert world.operator.get_object(Bucket=world.bucket, Key=probe_key(FOLDER))["Body"].read() == PROBE.encode()


def test_the_link_is_sigv4_signed_by_a_session_of_the_node_role(the_pod, world):
    link = the_pod["sign"]
    assert ok(link), link
    eks.assert_signed_by_a_session_of(
        link["value"], f"arn:aws:iam::{ACCOUNT}:role/{NODE_ROLE}", world, probe_key(FOLDER)
    )


def test_the_node_role_is_denied_outside_its_folder_and_bucket(the_pod, world):
    eks.assert_denied_elsewhere(the_pod, DENIED_STEPS, world, OTHER_BUCKET)


def test_a_node_role_without_the_attachment_cannot_store_anything(world, tmp_path_factory):
    before = world.contents(world.bucket)
    outcomes = run_on_node(
        UNTOUCHED_NODE_ROLE,
        world,
        control_steps(world.bucket, FOLDER),
        tmp_path_factory.mktemp("pod"),
    )
    # It has credentials (the node's own), and S3 refuses them everything.
    assert outcomes["whoami"]["value"].endswith(f":assumed-role/{UNTOUCHED_NODE_ROLE}/{INSTANCE_ID}"), outcomes
    assert outcomes["put"]["code"] == outcomes["list"]["code"] == "AccessDenied", outcomes
    assert world.contents(world.bucket) == before


# -- Label Studio itself --------------------------------------------------------------------------


@contextmanager
def label_studio_on_node(role_name: str, rendered: RenderedPod, world: eks.World, root: Path) -> Iterator[LabelStudio]:
    """Label Studio started as the rendered app container on a node whose role is `role_name`; S3 is
    moto (STORAGE_AWS_ENDPOINT_URL, the chart's `endpointUrl`)."""
    replaced = {"STORAGE_AWS_ENDPOINT_URL": world.endpoint}
    with on_node(role_name, world) as platform, label_studio_as(rendered, platform, replaced, root) as server:
        yield server


@pytest.fixture(scope="module")
def label_studio_case(rendered, world, tmp_path_factory) -> Iterator[Imported]:
    with label_studio_on_node(NODE_ROLE, rendered, world, tmp_path_factory.mktemp("label-studio")) as server:
        yield import_tasks(server, "node role")


def test_label_studio_stores_under_the_folder_and_reads_it_back(label_studio_case, world):
    assert_stored_and_read_back(label_studio_case, FOLDER, world.stored)


def test_label_studio_links_are_signed_by_a_session_of_the_node_role(label_studio_case, world):
    link = label_studio_case.server.storage_link(label_studio_case.file)
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{NODE_ROLE}"
    eks.assert_signed_by_a_session_of(link, role_arn, world, label_studio_case.key(FOLDER))


def test_label_studio_on_a_node_role_without_the_attachment_cannot_store_anything(rendered, world, tmp_path_factory):
    before = world.contents(world.bucket)
    root = tmp_path_factory.mktemp("label-studio")
    with label_studio_on_node(UNTOUCHED_NODE_ROLE, rendered, world, root) as server:
        answer = try_import(server)
    assert answer.status_code >= 400, answer.text[:500]
    assert "AccessDenied" in answer.text, answer.text[:500]
    assert world.contents(world.bucket) == before
