"""`labelstudio:s3compatible:Storage` given inputs a program computes from other resources, over gRPC.

The component declares no resource (the server owns the bucket): given the endpoint (a MinIO
Service's or load balancer's address), the bucket, the region or the CORS origins as outputs, it
must give the outputs it gives for the same values plain, each waiting for the resource its value
came from, and check those values once known with the message a plain bad value gets up front.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict

from tests.harness.provider_host import Plugin, running_plugin

TOKEN = "labelstudio:s3compatible:Storage"
SERVER_URN = "urn:pulumi:dev::labelstudio::kubernetes:core/v1:Service::minio"
BUCKET_URN = "urn:pulumi:dev::labelstudio::minio:index/s3Bucket:S3Bucket::media"
ORIGIN_URN = "urn:pulumi:dev::labelstudio::gcp:compute/globalAddress:GlobalAddress::ingress"
PLAIN = {
    "endpointUrl": "https://minio.example.com/",
    "bucket": "label-studio",
    "region": "eu-central-1",
    "folder": "media",
    "corsOrigins": ["https://label.example.com"],
    "accessKeyId": "label-studio",
    "secretAccessKey": "not-a-real-secret",
}
COMPUTED = {
    "endpointUrl": [SERVER_URN],
    "bucket": [BUCKET_URN],
    "region": [SERVER_URN],
    "corsOrigins": [ORIGIN_URN],
}
AUTHORITY = {"trustedAuthority": {"kind": "configMap", "name": "minio-ca", "key": "ca.crt"}}


@pytest.fixture(scope="module")
def plugin() -> Iterator[Plugin]:
    with running_plugin() as running:
        yield running


def construct(plugin: Plugin, inputs: dict[str, Any], input_dependencies: dict[str, list[str]] | None = None) -> Any:
    response, _ = plugin.construct(TOKEN, "labelstudio", inputs, input_dependencies=input_dependencies)
    return response


def refusal(plugin: Plugin, inputs: dict[str, Any], input_dependencies: dict[str, list[str]] | None = None) -> str:
    return plugin.refusal(TOKEN, "S3CompatibleStorage", inputs, input_dependencies=input_dependencies)


@pytest.mark.parametrize("extra", [{}, AUTHORITY], ids=["keys", "keys and a private authority"])
def test_computed_arguments_give_what_plain_ones_do_each_waiting_for_its_resource(plugin, extra):
    plain = construct(plugin, {**PLAIN, **extra})
    computed = construct(plugin, {**PLAIN, **extra}, COMPUTED)
    assert computed.urn == plain.urn
    assert MessageToDict(computed.state) == MessageToDict(plain.state), "the same outputs, connection included"
    state = computed.state.fields
    assert state["endpointUrl"].string_value == "https://minio.example.com"
    assert '"arn:aws:s3:::label-studio"' in state["serverPolicy"].string_value
    waits = {key: set(deps.urns) for key, deps in computed.stateDependencies.items()}
    assert SERVER_URN in waits["endpointUrl"] and BUCKET_URN in waits["bucketName"]
    assert BUCKET_URN in waits["serverPolicy"], "the policy is built from the bucket's name"
    assert not {key: deps.urns for key, deps in plain.stateDependencies.items() if deps.urns}


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    [
        ("bucket", "-media", "bucket '-media' is not a bucket name an S3-compatible server accepts"),
        ("endpointUrl", "minio.example.com", "endpointUrl is not an http(s) URL"),
        ("corsOrigins", ["https://x.example/"], "corsOrigins 'https://x.example/' is not written the way browsers"),
    ],
)
def test_a_bad_computed_value_fails_once_known_with_the_message_a_plain_one_gets(plugin, argument, value, message):
    bad = {**PLAIN, argument: value}
    plain = refusal(plugin, bad)
    computed = refusal(plugin, bad, {argument: COMPUTED[argument]})
    assert message in computed
    assert computed == plain, "today's message, word for word"


def test_a_private_authority_for_a_computed_endpoint_is_judged_once_the_endpoint_is_known(plugin):
    http = {**PLAIN, **AUTHORITY, "endpointUrl": "http://minio.example.com"}
    plain = refusal(plugin, http)
    assert "trustedAuthority is given for an http endpointUrl" in plain
    assert refusal(plugin, http, {"endpointUrl": [SERVER_URN]}) == plain


def test_the_schema_says_which_s3_compatible_inputs_take_outputs_and_which_stay_plain(plugin):
    inputs = plugin.schema()["resources"][TOKEN]["inputProperties"]
    for name in ("endpointUrl", "bucket", "region", "corsOrigins", "accessKeyId", "secretAccessKey"):
        assert not inputs[name].get("plain"), f"{name} takes another resource's output"
    for name in ("credentialsSecret", "trustedAuthority"):
        assert inputs[name].get("plain") is True or "$ref" in inputs[name], name
        assert "Plain:" in inputs[name]["description"], f"{name}: the schema says why it stays plain"
