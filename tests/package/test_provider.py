"""The components as a Pulumi package, over gRPC as the engine talks to them.

provider/__main__.py runs as a subprocess that prints its port; GetSchema must describe every
component, and Construct, against a resource monitor of our own, must register exactly the
children the Python program declares for the same arguments, under the same URNs, so a stack
moving between the program and the package keeps its storage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf.json_format import MessageToDict
from pulumi.provider.experimental.util import camel_case

from components.component_provider import LabelStudioProvider
from components.registry import backend
from components.settings import component_args
from components.settings.model import Settings, decode_config, load_settings, provider_keys
from tests.conftest import (
    ISSUER,
    KMS_KEY_NAME,
    OIDC_ARN,
    aws_stack,
    azure_stack,
    gcp_stack,
    run,
    s3_compatible_stack,
)
from tests.harness.provider_host import Plugin, running_plugin
from tests.package.test_examples import EXAMPLES, ConfigValue, read_yaml_program
from tools.mockrun import Registration, Secret, encode_config, reveal

COMPONENT_TOKENS = {
    "aws": "labelstudio:aws:Storage",
    "gcp": "labelstudio:gcp:Storage",
    "azure": "labelstudio:azure:Storage",
    "s3-compatible": "labelstudio:s3compatible:Storage",
}
RELEASE_TOKEN = "labelstudio:kubernetes:LabelStudio"
SECRET_OUTPUTS = {
    "labelstudio:aws:Storage": {"accessKeyId", "secretAccessKey"},
    "labelstudio:gcp:Storage": {"serviceAccountKeyJson"},
    "labelstudio:azure:Storage": {"accountKey"},
    "labelstudio:s3compatible:Storage": {"accessKeyId", "secretAccessKey"},
    RELEASE_TOKEN: set(),
}
_SNAKE = re.compile(r"^[a-z]+(_[a-z]+)+$")


@pytest.fixture(scope="module")
def plugin() -> Iterator[Plugin]:
    with running_plugin() as running:
        yield running


def settings_of(config: dict[str, Any]) -> Settings:
    """The settings a stack file's config (as Python values) validates to."""
    encoded, secret_keys = encode_config(config, "labelstudio")  # as the CLI hands it over, secure values too
    ours = {key.removeprefix("labelstudio:"): value for key, value in encoded.items() if key.startswith("labelstudio:")}
    raw = decode_config(ours) | {key: value for key, value in encoded.items() if key in provider_keys()}
    return load_settings(raw, frozenset(key.removeprefix("labelstudio:") for key in secret_keys))[0]


def wire(value: Any) -> Any:
    """Python argument names as the schema names them (camelCase). Map keys are data: pass maps
    whose keys hold underscores (a connection's credentials) around this, not through it."""
    if isinstance(value, dict):
        return {camel_case(key) if _SNAKE.match(key) else key: wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [wire(item) for item in value]
    return value


def shape(registrations: list[Registration], parent: str, with_dependencies: bool = True) -> dict[str, Any]:
    """What matters of each child of `parent`, by URN."""
    return {
        r.urn: (
            r.type,
            r.name,
            r.inputs,
            r.protect,
            r.retain_on_delete,
            sorted(r.additional_secret_outputs),
            sorted(set(r.dependencies)) if with_dependencies else None,
        )
        for r in registrations
        if r.parent == parent
    }


def walk_properties(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for token, resource in schema["resources"].items():
        for kind in ("inputProperties", "properties"):
            for name, prop in resource.get(kind, {}).items():
                yield f"{token} {kind}", name, prop
    for token, type_ in schema["types"].items():
        for name, prop in type_["properties"].items():
            yield token, name, prop


def test_the_schema_describes_every_component_input_and_output_with_secrets_marked(plugin):
    schema = plugin.schema()
    assert schema["name"] == "labelstudio"
    assert set(schema["resources"]) == {*COMPONENT_TOKENS.values(), RELEASE_TOKEN}
    for token, resource in schema["resources"].items():
        assert resource["isComponent"] is True and resource["description"], token
        assert resource["inputProperties"] and resource["properties"], token
        secret = {name for name, prop in resource["properties"].items() if prop.get("secret")}
        assert secret == SECRET_OUTPUTS[token], token
    for where, name, prop in walk_properties(schema):
        assert prop.get("description"), f"{where}.{name} has no description"
        assert prop.get("type") or prop.get("$ref"), f"{where}.{name} has no type"
    connection = schema["types"]["labelstudio:index:StorageConnection"]["properties"]
    assert connection["credentials"].get("secret") is True
    aws = schema["resources"]["labelstudio:aws:Storage"]
    assert set(aws["requiredInputs"]) == {"bucket", "region", "access", "corsOrigins"}


CASES = {
    "aws irsa": aws_stack(folder="media"),
    "aws pod identity with a created key": aws_stack(
        access="pod-identity", enterprise=True, aws={"clusterName": "ml", "encryption": "kms"}
    ),
    "aws access keys for compose": aws_stack(target="compose", aws=None),
    "aws node role with a given key": aws_stack(
        access="node-role",
        aws={"nodeRoleName": "nodes", "kmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/mrk-" + "0" * 32},
    ),
    "gcp workload identity with cmek": gcp_stack(enterprise=True, gcp={"kmsKeyName": KMS_KEY_NAME}),
    "gcp key": gcp_stack(access="key"),
    "azure with a created group": azure_stack(),
    "azure in a given group behind a firewall": azure_stack(
        azure={"resourceGroup": "ml", "storageAccount": "acmels", "allowedIpRanges": ["81.2.69.0/24"]}
    ),
    "s3-compatible keys for compose": s3_compatible_stack(target="compose"),
    "s3-compatible keys in a secret that exists": s3_compatible_stack(
        createNamespace=False,
        **{"s3-compatible": {"endpointUrl": "http://10.1.2.3:9000", "credentialsSecret": {"name": "minio-ls"}}},
    ),
}


def construct_storage(plugin: Plugin, config: dict[str, Any]) -> tuple[Any, Any, Settings]:
    settings = settings_of(config)
    args = component_args.storage_args(settings, backend(settings.cloud).storage_args)
    provider_config, _ = encode_config({k: v for k, v in config.items() if k in provider_keys()}, "labelstudio")
    wired = wire({key: value for key, value in args.items() if key != "credentials_secret"})
    if "credentials_secret" in args:  # its `keys` map is data, keyed like a connection's credentials
        wired["credentialsSecret"] = args["credentials_secret"]
    response, monitor = plugin.construct(
        COMPONENT_TOKENS[settings.cloud], "labelstudio", wired, stack="test", config=provider_config
    )
    return response, monitor, settings


@pytest.mark.parametrize("case", sorted(CASES))
def test_construct_registers_what_the_program_declares(plugin, case):
    config = CASES[case]
    response, monitor, settings = construct_storage(plugin, config)
    program = run(config)
    component = program.one(COMPONENT_TOKENS[settings.cloud])
    assert response.urn == component.urn, "the same component, so the same URNs beneath it"
    constructed = shape(monitor.registrations, response.urn)
    assert constructed == shape(program.resources, component.urn)
    outputs = response.state.fields
    assert outputs["bucketName" if settings.cloud != "azure" else "containerName"].string_value == settings.bucket


def test_secret_outputs_stay_secret_over_the_wire(plugin):
    response, _, _ = construct_storage(plugin, CASES["aws access keys for compose"])
    state = response.state.fields
    for name in ("accessKeyId", "secretAccessKey"):
        assert state[name].struct_value.fields["value"].string_value, name
        assert state[name].struct_value.fields["4dabf18193072939515e22adb298388d"].string_value == (
            "1b47061264138c4ac30d75fd1eb44270"
        ), f"{name} must come back as a secret"
    credentials = state["connection"].struct_value.fields["credentials"].struct_value.fields
    assert set(credentials) == {"access_key_id", "secret_access_key"}
    assert all(c.struct_value.fields["value"].string_value for c in credentials.values()), "secret values"


@pytest.mark.parametrize(
    "config",
    [
        azure_stack(),
        gcp_stack(access="key"),
        aws_stack(enterprise=True),
        CASES["s3-compatible keys in a secret that exists"],
    ],
)
def test_the_release_built_from_a_storage_components_connection_matches_the_program(plugin, config):
    """Across languages: a storage component's `connection` output, given to the release, declares
    what the program declares: the namespace, the credentials Secret (when there are keys) and
    the Helm release, with the same values."""
    storage, _, settings = construct_storage(plugin, config)
    connection = MessageToDict(storage.state.fields["connection"])
    args = dict(component_args.release_args(settings, connection, secret_helm_values=False))
    inputs = {**wire({key: value for key, value in args.items() if key != "storage"}), "storage": connection}
    response, monitor = plugin.construct(
        RELEASE_TOKEN, "labelstudio", inputs, stack="test", input_dependencies={"storage": [storage.urn]}
    )
    program = run(config)
    component = program.one(RELEASE_TOKEN)
    assert response.urn == component.urn
    constructed = {r.urn: r for r in monitor.registrations if r.parent == response.urn}
    declared = {r.urn: r for r in program.resources if r.parent == component.urn}
    assert set(constructed) == set(declared)
    for urn, resource in constructed.items():
        assert reveal(resource.inputs) == reveal(declared[urn].inputs), urn
    release = next(r for r in constructed.values() if r.type == "kubernetes:helm.sh/v3:Release")
    assert release.additional_secret_outputs == ["values"], "values built from an output stay secret"
    assert storage.urn in release.dependencies, "Label Studio waits for the storage it was given"
    for secret in (r for r in constructed.values() if r.type == "kubernetes:core/v1:Secret"):
        assert isinstance(secret.inputs["stringData"], Secret) or all(
            isinstance(value, Secret) for value in secret.inputs["stringData"].values()
        )


def test_construct_refuses_bad_arguments_naming_each_without_a_stack_trace(plugin):
    message = plugin.refusal(
        "labelstudio:aws:Storage",
        "AwsStorage",
        {"bucket": "Bad_Bucket", "region": "eu-west-1", "access": "irsa", "corsOrigins": ["https://x.example/"]},
    )
    assert "bucket 'Bad_Bucket' is not a valid S3 bucket name" in message
    assert "oidcProviderArn: access irsa needs the ARN of the cluster's IAM OIDC provider" in message
    assert "corsOrigins 'https://x.example/' is not written the way browsers send it" in message
    with pytest.raises(grpc.RpcError) as raised:
        plugin.construct("labelstudio:aws:Storage", "labelstudio", {"bucket": "b"})
    assert "Missing required input 'region'" in str(raised.value.details()) + str(raised.value.trailing_metadata())


def test_the_yaml_examples_storage_constructs_a_bucket_and_a_role_for_the_charts_service_account(plugin):
    token, properties = read_yaml_program(EXAMPLES / "yaml" / "Pulumi.yaml").resources["storage"]
    assert properties["oidcProviderArn"] == ConfigValue("oidcProviderArn")
    inputs = {**properties, "oidcProviderArn": OIDC_ARN}
    response, monitor = plugin.construct(token, "storage", inputs, project="label-studio-yaml", stack="dev")
    registered = {r.type: r for r in monitor.registrations if r.parent == response.urn}
    assert registered["aws:s3/bucket:Bucket"].inputs["bucket"] == "acme-label-studio-media"
    assert registered["aws:s3/bucket:Bucket"].protect is True
    trust = json.loads(registered["aws:iam/role:Role"].inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert (
        statement["Condition"]["StringEquals"][f"{ISSUER}:sub"]
        == "system:serviceaccount:label-studio:label-studio-ls-app"
    )


# -- arguments computed from other resources ------------------------------------------------------

SUFFIX_URN = "urn:pulumi:dev::labelstudio::random:index/randomId:RandomId::suffix"
COMPUTED_AWS = {
    "bucket": "acme-label-studio-0a1b",
    "region": "eu-west-1",
    "access": "irsa",
    "oidcProviderArn": OIDC_ARN,
    "corsOrigins": ["https://label.example.com"],
    "trustedWorkloads": {"namespace": "label-studio", "serviceAccounts": {"app": "label-studio-ls-app"}},
}
COMPUTED = {"bucket": [SUFFIX_URN], "region": [SUFFIX_URN], "corsOrigins": [SUFFIX_URN]}


def test_arguments_computed_from_other_resources_declare_what_plain_ones_do(plugin):
    """A bucket name, region and origins that depend on another resource reach the component as
    outputs: the same children with the same inputs, each built from them waiting for that resource."""
    plain, plain_monitor = plugin.construct("labelstudio:aws:Storage", "labelstudio", COMPUTED_AWS)
    computed, monitor = plugin.construct(
        "labelstudio:aws:Storage", "labelstudio", COMPUTED_AWS, input_dependencies=COMPUTED
    )
    assert computed.urn == plain.urn
    plain_children = shape(plain_monitor.registrations, plain.urn, with_dependencies=False)
    assert shape(monitor.registrations, computed.urn, with_dependencies=False) == plain_children
    bucket = next(r for r in monitor.registrations if r.type == "aws:s3/bucket:Bucket")
    assert bucket.inputs["bucket"] == "acme-label-studio-0a1b"
    assert SUFFIX_URN in bucket.dependencies, "the bucket waits for the resource its name comes from"
    assert computed.state.fields["bucketName"].string_value == "acme-label-studio-0a1b"


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    [
        ("bucket", "Bad_Bucket", "bucket 'Bad_Bucket' is not a valid S3 bucket name"),
        ("corsOrigins", ["https://x.example/"], "corsOrigins 'https://x.example/' is not written the way browsers"),
    ],
)
def test_a_computed_argument_is_checked_once_known_and_fails_with_todays_message(plugin, argument, value, message):
    details = plugin.refusal(
        "labelstudio:aws:Storage",
        "AwsStorage",
        {**COMPUTED_AWS, argument: value},
        input_dependencies={argument: [SUFFIX_URN]},
    )
    assert message in details


def test_a_computed_argument_does_not_hide_the_problems_of_plain_ones(plugin):
    """What can be checked up front still is, before anything is registered."""
    with pytest.raises(grpc.RpcError) as raised:
        plugin.construct(
            "labelstudio:aws:Storage",
            "labelstudio",
            {**COMPUTED_AWS, "access": "irsa", "oidcProviderArn": ""},
            input_dependencies=COMPUTED,
        )
    details = str(raised.value.details())
    assert "oidcProviderArn: access irsa needs" in details
    assert "bucket" not in details.split(":", 1)[1], "the bucket is not known yet, so not judged"
    assert plugin.monitors[0].registrations == []


def test_storage_adopt_needs_the_bucket_name_before_the_deployment(plugin):
    with pytest.raises(grpc.RpcError) as raised:
        plugin.construct(
            "labelstudio:aws:Storage",
            "labelstudio",
            {**COMPUTED_AWS, "storage": "adopt"},
            input_dependencies={"bucket": [SUFFIX_URN]},
        )
    assert "storage adopt imports the bucket by its name" in str(raised.value.details())


def test_storage_adopt_imports_by_the_plain_name_when_another_argument_is_computed(plugin):
    """A computed region makes every computed-capable argument an output inside the component; the
    import id is still the bucket's name as given."""
    adopted, monitor = plugin.construct(
        "labelstudio:aws:Storage",
        "labelstudio",
        {**COMPUTED_AWS, "storage": "adopt"},
        input_dependencies={"region": [SUFFIX_URN]},
    )
    bucket = next(r for r in monitor.registrations if r.type == "aws:s3/bucket:Bucket")
    assert bucket.import_id == COMPUTED_AWS["bucket"]
    assert adopted.state.fields["bucketName"].string_value == COMPUTED_AWS["bucket"]


def test_the_schema_says_which_inputs_take_outputs_and_which_stay_plain(plugin):
    inputs = plugin.schema()["resources"]["labelstudio:aws:Storage"]["inputProperties"]
    for name in ("bucket", "region", "corsOrigins", "oidcProviderArn", "kmsKeyArn"):
        assert not inputs[name].get("plain"), f"{name} takes another resource's output"
    for name in ("access", "storage", "encryption", "protect", "trustedWorkloads"):
        assert inputs[name].get("plain") is True or "$ref" in inputs[name], name
        assert "Plain:" in inputs[name]["description"], f"{name}: the schema says why it stays plain"


# What each storage component registers as its outputs (what `pulumi stack export` holds for it):
# every output of its schema that the stack's mode gives, nothing the schema does not list.
@pytest.mark.parametrize(
    ("config", "token", "not_given", "secret"),
    [
        (aws_stack(), "labelstudio:aws:Storage", {"kmsKeyArn", "accessKeyId", "secretAccessKey"}, set()),
        (
            aws_stack(access="access-keys", credentials="inline", aws={"encryption": "kms"}),
            "labelstudio:aws:Storage",
            {"roleArn"},
            {"accessKeyId", "secretAccessKey"},
        ),
        (gcp_stack(), "labelstudio:gcp:Storage", {"serviceAccountKeyJson"}, set()),
        (azure_stack(credentials="inline"), "labelstudio:azure:Storage", set(), {"accountKey"}),
        (s3_compatible_stack(), "labelstudio:s3compatible:Storage", set(), {"accessKeyId", "secretAccessKey"}),
    ],
    ids=["aws irsa", "aws keys and kms", "gcp", "azure", "s3-compatible"],
)
def test_a_storage_component_registers_every_output_its_schema_lists(
    config: dict[str, Any], token: str, not_given: set[str], secret: set[str]
) -> None:
    schema = json.loads(LabelStudioProvider().schema or "{}")
    declaration = run(config)
    assert declaration.error is None, declaration.error
    (component,) = [r for r in declaration.resources if r.type == token]
    registered = declaration.component_outputs[component.urn]
    assert set(registered) == set(schema["resources"][token]["properties"]) - not_given
    assert {name for name, value in registered.items() if isinstance(value, Secret)} == secret
