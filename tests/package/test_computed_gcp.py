"""`labelstudio:gcp:Storage` given inputs a program computes from other resources, over gRPC.

Constructed with `input_dependencies`, the engine hands the component those inputs as outputs: the
bucket name, the project (say from a gcp.organizations.Project), the location, the CORS origins
(from a load balancer's hostname) and the CMEK key. The component must register what it
registers for the same values given plain, each child built from a computed value waiting for
the resource it came from; check those values once they are known, failing with the message a
plain bad value gets up front; and refuse an output where the engine needs the value before the
deployment starts (the import id of storage adopt).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict

from tests.conftest import GCP_PROJECT, KMS_KEY_NAME
from tests.harness.provider_host import Plugin, running_plugin
from tools.mockrun import Registration, encode_config

TOKEN = "labelstudio:gcp:Storage"
PROJECT_URN = "urn:pulumi:dev::labelstudio::gcp:organizations/project:Project::ml"
ORIGIN_URN = "urn:pulumi:dev::labelstudio::gcp:compute/globalAddress:GlobalAddress::ingress"
KEY_URN = "urn:pulumi:dev::labelstudio::gcp:kms/cryptoKey:CryptoKey::storage"
SUFFIX_URN = "urn:pulumi:dev::labelstudio::random:index/randomId:RandomId::suffix"
PLAIN = {
    "bucket": "acme-label-studio-0a1b",
    "project": GCP_PROJECT,
    "location": "EUROPE-WEST4",
    "access": "workload-identity",
    "corsOrigins": ["https://label.example.com"],
    "trustedWorkloads": {
        "namespace": "label-studio",
        "serviceAccounts": {"app": "label-studio-ls-app", "rqworker": "label-studio-ls-rqworker"},
        "name": "label-studio",
    },
}
COMPUTED = {
    "bucket": [SUFFIX_URN],
    "project": [PROJECT_URN],
    "location": [PROJECT_URN],
    "corsOrigins": [ORIGIN_URN],
}


@pytest.fixture(scope="module")
def plugin() -> Iterator[Plugin]:
    with running_plugin() as running:
        yield running


def provider_config() -> dict[str, str]:
    return encode_config({"gcp:project": GCP_PROJECT}, "labelstudio")[0]


def construct(
    plugin: Plugin, inputs: dict[str, Any], input_dependencies: dict[str, list[str]] | None = None
) -> tuple[Any, list[Registration]]:
    response, monitor = plugin.construct(
        TOKEN, "labelstudio", inputs, config=provider_config(), input_dependencies=input_dependencies
    )
    return response, [r for r in monitor.registrations if r.parent == response.urn]


def refusal(plugin: Plugin, inputs: dict[str, Any], input_dependencies: dict[str, list[str]] | None = None) -> str:
    return plugin.refusal(TOKEN, "GcpStorage", inputs, config=provider_config(), input_dependencies=input_dependencies)


def children(registrations: list[Registration]) -> dict[str, tuple[Any, ...]]:
    """What matters of each child, by URN, but what it waits for."""
    return {
        r.urn: (r.type, r.name, r.inputs, r.protect, r.retain_on_delete, r.import_id, sorted(r.ignore_changes))
        for r in registrations
    }


def one(registrations: list[Registration], type_: str, name: str = "") -> Registration:
    (found,) = [r for r in registrations if r.type == type_ and r.name.endswith(name)]
    return found


CASES = {
    "workload identity": (PLAIN, COMPUTED),
    "key with a key the program creates": (
        {**PLAIN, "access": "key", "kmsKeyName": KMS_KEY_NAME},
        {**COMPUTED, "kmsKeyName": [KEY_URN]},
    ),
    "existing bucket": ({**PLAIN, "storage": "existing"}, COMPUTED),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_computed_arguments_declare_what_plain_ones_do(plugin, case):
    inputs, dependencies = CASES[case]
    plain, plain_children = construct(plugin, inputs)
    computed, computed_children = construct(plugin, inputs, dependencies)
    assert computed.urn == plain.urn
    assert plain_children, "the plain construct registered its children"
    assert children(computed_children) == children(plain_children)
    assert MessageToDict(computed.state) == MessageToDict(plain.state), "the same outputs, connection included"
    assert computed.state.fields["bucketName"].string_value == "acme-label-studio-0a1b"


def test_each_child_built_from_a_computed_value_waits_for_the_resource_it_came_from(plugin):
    _, plain_children = construct(plugin, CASES["key with a key the program creates"][0])
    _, registered = construct(plugin, *CASES["key with a key the program creates"])
    bucket = one(registered, "gcp:storage/bucket:Bucket")
    assert {SUFFIX_URN, PROJECT_URN, ORIGIN_URN} <= set(bucket.dependencies), "name, project, location, CORS"
    account = one(registered, "gcp:serviceaccount/account:Account")
    assert {SUFFIX_URN, PROJECT_URN} <= set(account.dependencies), "its project, and the bucket in its description"
    assert account.inputs["accountId"] == one(plain_children, "gcp:serviceaccount/account:Account").inputs["accountId"]
    grant = one(registered, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
    assert KEY_URN in grant.dependencies, "the key's grant waits for the key"
    assert grant.inputs["cryptoKeyId"] == KMS_KEY_NAME
    assert not {SUFFIX_URN, PROJECT_URN, ORIGIN_URN, KEY_URN} & {
        dependency for child in plain_children for dependency in child.dependencies
    }, "given plain, nothing waits for those resources"


def test_workload_identity_members_come_from_the_computed_project(plugin):
    _, registered = construct(plugin, PLAIN, {"project": [PROJECT_URN]})
    bindings = {
        r.name: r
        for r in registered
        if r.type == "gcp:serviceaccount/iAMMember:IAMMember" and "workload-identity" in r.name
    }
    pool = f"serviceAccount:{GCP_PROJECT}.svc.id.goog"
    assert {name: r.inputs["member"] for name, r in bindings.items()} == {
        "labelstudio-workload-identity-app": f"{pool}[label-studio/label-studio-ls-app]",
        "labelstudio-workload-identity-rqworker": f"{pool}[label-studio/label-studio-ls-rqworker]",
    }
    assert all(PROJECT_URN in r.dependencies for r in bindings.values())


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    [
        ("bucket", "Bad_Bucket", "bucket 'Bad_Bucket' is not a valid Cloud Storage bucket name"),
        ("corsOrigins", ["https://x.example/"], "corsOrigins 'https://x.example/' is not written the way browsers"),
    ],
)
def test_a_bad_computed_value_fails_once_known_with_the_message_a_plain_one_gets(plugin, argument, value, message):
    bad = {**PLAIN, argument: value}
    plain = refusal(plugin, bad)
    computed = refusal(plugin, bad, {argument: COMPUTED[argument]})
    assert message in computed
    assert computed == plain, "today's message, word for word"


def test_a_computed_argument_does_not_hide_the_problems_of_plain_ones(plugin):
    inputs = {key: value for key, value in PLAIN.items() if key != "trustedWorkloads"}
    details = refusal(plugin, {**inputs, "bucket": "Bad_Bucket"}, COMPUTED)
    assert "trustedWorkloads: access workload-identity needs the namespace and service accounts" in details
    assert "Bad_Bucket" not in details, "the bucket is not known yet, so not judged"
    assert plugin.monitors[0].registrations == [], "refused before anything is registered"


@pytest.mark.parametrize(
    ("computed", "message"),
    [
        ({"bucket": [SUFFIX_URN]}, "bucket: storage adopt imports the bucket by its name"),
        ({"project": [PROJECT_URN]}, "project: storage adopt imports the bucket by its project and name"),
    ],
    ids=["bucket", "project"],
)
def test_storage_adopt_refuses_an_output_for_what_its_import_id_names(plugin, computed, message):
    details = refusal(plugin, {**PLAIN, "storage": "adopt"}, computed)
    assert message in details
    assert "plain string, not another resource's output" in details
    assert not [r for r in plugin.monitors[0].registrations if r.custom], "no resource declared"


def test_storage_adopt_imports_by_the_plain_project_and_name_when_other_inputs_are_computed(plugin):
    inputs = {**PLAIN, "storage": "adopt"}
    _, plain_children = construct(plugin, inputs)
    _, registered = construct(plugin, inputs, {"corsOrigins": [ORIGIN_URN], "location": [PROJECT_URN]})
    bucket = one(registered, "gcp:storage/bucket:Bucket")
    assert bucket.import_id == f"{GCP_PROJECT}/acme-label-studio-0a1b"
    assert bucket.protect is True
    assert ORIGIN_URN in bucket.dependencies
    assert children(registered) == children(plain_children)


def test_the_schema_says_which_gcp_inputs_take_outputs_and_which_stay_plain(plugin):
    inputs = plugin.schema()["resources"][TOKEN]["inputProperties"]
    for name in ("bucket", "project", "location", "corsOrigins", "kmsKeyName", "clusterProject"):
        assert not inputs[name].get("plain"), f"{name} takes another resource's output"
    for name in ("access", "storage", "protect", "serviceAccountId", "manageCors", "trustedWorkloads"):
        assert inputs[name].get("plain") is True or "$ref" in inputs[name], name
        assert "Plain:" in inputs[name]["description"], f"{name}: the schema says why it stays plain"


def test_late_refusals_leave_the_plugin_answering_and_its_stderr_clean(plugin):
    """The engine shows the user each line a plugin writes to stderr. A refusal made once a computed
    value resolves must reach them once, as the component's error, not again as tracebacks of every
    child that waited for the value; and the plugin must go on serving the program's constructs.
    asyncio prints an unread failure when the garbage collector finds it: a dozen refusals make sure
    it has run (before the fix, the seventh printed 126 tracebacks, and with stderr an unread pipe
    the plugin stalled)."""
    bad = {**PLAIN, "bucket": "Bad_Bucket"}
    for _ in range(12):
        refusal(plugin, bad, {"bucket": [SUFFIX_URN]})
    _, registered = construct(plugin, PLAIN, COMPUTED)
    assert registered, "a good construct after the refusals registers its children"
    assert plugin.stderr() == ""
