"""Hostile stack settings: every invalid one ends in one clear message naming its key, with no
traceback and nothing declared; every valid one runs to completion."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.names import origin_problem
from components.settings.model import SettingsError, decode_config, load_settings
from tests.conftest import (
    KMS_KEY_NAME,
    OIDC_ARN,
    S3_COMPATIBLE_KEYS,
    aws_stack,
    azure_stack,
    exposed_strings,
    gcp_stack,
    s3_compatible_stack,
)
from tools.mockrun import Decrypted, declare, encode_config

HOSTILE_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "..",
        "a..b",
        "../etc",
        "/leading",
        "trailing/",
        "/both/",
        "with space",
        "UPPER",
        "MixedCase-Bucket",
        "ünïcødé",
        "名前",
        "emoji-🙂",
        "a" * 64,
        "b" * 1000,
        "line\nbreak",
        "tab\tbed",
        "null\x00byte",
        "https://label.example.com/",
        "*",
        "true",
        "[1, 2]",
        '{"a": 1}',
    ]
)
HOSTILE = st.one_of(
    HOSTILE_STRINGS,
    st.text(max_size=80),
    st.lists(st.text(max_size=12), max_size=3),
    st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=2),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.booleans(),
    st.just({}),
    st.just([]),
)
SHARED_KEYS = [
    "cloud",
    "target",
    "bucket",
    "folder",
    "host",
    "corsOrigins",
    "access",
    "credentials",
    "namespace",
    "release",
    "chartVersion",
    "chartRepository",
    "chartPath",
    "enterprise",
    "helmValues",
    "protect",
    "forceDestroy",
    "retentionDays",
    "createNamespace",
]
# Per cloud: a valid stack, its provider setting and its object with that object's keys.
CLOUDS = {
    "aws": (
        aws_stack,
        "aws:region",
        "aws",
        ["oidcProviderArn", "clusterName", "nodeRoleName", "kmsKeyArn", "encryption"],
    ),
    "gcp": (gcp_stack, "gcp:project", "gcp", ["location", "kmsKeyName", "serviceAccountId"]),
    "azure": (
        azure_stack,
        "azure-native:location",
        "azure",
        ["resourceGroup", "storageAccount", "allowedIpRanges", "allowedSubnetIds"],
    ),
    "s3-compatible": (
        s3_compatible_stack,
        None,
        "s3-compatible",
        ["endpointUrl", "region", "credentialsSecret", "accessKeyId", "secretAccessKey"],
    ),
}
# What each cloud's object needs beside the key a mutation sets.
OBJECT_BASE: dict[str, dict[str, Any]] = {
    "aws": {"oidcProviderArn": OIDC_ARN},
    "s3-compatible": {"endpointUrl": "https://minio.example.com", **S3_COMPATIBLE_KEYS},
}


@st.composite
def top_level_mutation(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A valid stack of some cloud with one top-level key set to a hostile value."""
    cloud = draw(st.sampled_from(sorted(CLOUDS)))
    build, provider_key, object_key, _ = CLOUDS[cloud]
    key = draw(st.sampled_from([*SHARED_KEYS, *filter(None, [provider_key]), object_key]))
    return build(**{key: draw(HOSTILE)}), key


@st.composite
def object_mutation(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A valid stack of some cloud with one key of its object set to a hostile value."""
    cloud = draw(st.sampled_from(sorted(CLOUDS)))
    build, _, object_key, keys = CLOUDS[cloud]
    return build(**{object_key: {**OBJECT_BASE.get(cloud, {}), draw(st.sampled_from(keys)): draw(HOSTILE)}}), object_key


def as_the_cli_passes_it(config: dict[str, Any]) -> dict[str, Any]:
    """Stack-file values encoded like the CLI and decoded like the program, without the namespace."""
    encoded, _ = encode_config(config, "labelstudio")
    raw = decode_config({k.split(":", 1)[1]: v for k, v in encoded.items() if k.startswith("labelstudio:")})
    raw.update({k: v for k, v in encoded.items() if not k.startswith("labelstudio:")})
    return raw


def key_name(key: str) -> str:
    return key if ":" in key else f"labelstudio:{key}"


def secret_keys_of(config: dict[str, Any]) -> frozenset[str]:
    _, secret = encode_config(config, "labelstudio")
    return frozenset(key.removeprefix("labelstudio:") for key in secret)


def assert_one_clear_problem(config: dict[str, Any], key: str) -> None:
    raw = as_the_cli_passes_it(config)
    try:
        load_settings(raw, secret_keys_of(config))
    except SettingsError as error:
        # One problem, or one per offending entry of an object or list value (JSON text like
        # '[1, 2]' reaches the program as a list, as it does from the CLI).
        value = raw.get(key.split(":", 1)[1] if key.startswith("labelstudio:") else key)
        assert len(error.problems) == 1 or isinstance(value, (dict, list)), error.problems
        for problem in error.problems:
            assert problem.startswith(key_name(key)), problem
            assert "Traceback" not in problem and "pydantic" not in problem.lower()
            assert len(problem) < 600, problem


@settings(max_examples=500, deadline=None)
@given(mutation=top_level_mutation())
def test_any_hostile_top_level_value_is_accepted_or_named_in_one_message(mutation):
    config, key = mutation
    assert_one_clear_problem(config, key)


@settings(max_examples=400, deadline=None)
@given(mutation=object_mutation())
def test_any_hostile_value_in_a_cloud_object_is_accepted_or_named(mutation):
    config, key = mutation
    assert_one_clear_problem(config, key)


@settings(max_examples=200, deadline=None)
@given(value=HOSTILE)
def test_any_hostile_origin_in_the_list_is_named_by_its_position(value):
    config = aws_stack(corsOrigins=["https://label.example.com", value])
    try:
        load_settings(as_the_cli_passes_it(config))
    except SettingsError as error:
        (problem,) = error.problems
        assert problem.startswith(("labelstudio:corsOrigins[1]", "labelstudio:corsOrigins ")), problem


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutation=top_level_mutation())
def test_the_program_either_declares_everything_or_nothing(mutation):
    """Through the real program: a refused stack declares no resource, an accepted one completes."""
    config, key = mutation
    declaration = declare(config)
    if declaration.error:
        assert declaration.resources == []
        assert key_name(key) in declaration.error
        assert "Traceback" not in declaration.error
    elif declaration.outputs["cloud"] == "s3-compatible":  # the server's bucket: nothing declared on it
        assert declaration.outputs["bucketName"] and declaration.one("labelstudio:s3compatible:Storage")
    else:
        assert declaration.outputs["bucketName"]
        assert any(r.type.endswith(("/bucket:Bucket", ":BlobContainer")) for r in declaration.resources)


VALID_BUCKETS = st.from_regex(r"\A[a-z0-9][a-z0-9-]{1,40}[a-z0-9]\Z").filter(lambda name: not name.startswith("xn--"))
VALID_FOLDERS = st.lists(st.from_regex(r"\A[A-Za-z0-9_-]{1,12}\Z"), max_size=3).map("/".join)
VALID_ORIGINS = st.builds(
    lambda host, port: f"https://{host}.example.com" + (f":{port}" if port else ""),
    st.from_regex(r"\A[a-z][a-z0-9-]{0,20}[a-z0-9]\Z"),
    st.one_of(st.none(), st.integers(min_value=1, max_value=65535)),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bucket=VALID_BUCKETS,
    folder=VALID_FOLDERS,
    origins=st.lists(VALID_ORIGINS, min_size=1, max_size=3),
    target=st.sampled_from(["kubernetes", "compose"]),
    enterprise=st.booleans(),
)
def test_every_valid_configuration_runs_to_completion(bucket, folder, origins, target, enterprise):
    config = aws_stack(bucket=bucket, folder=folder, corsOrigins=origins, target=target)
    if target == "compose":
        config.pop("labelstudio:aws")
    else:
        config["labelstudio:enterprise"] = enterprise
    declaration = declare(config)
    assert declaration.error is None, declaration.error
    assert declaration.outputs["bucketName"] == bucket
    assert declaration.outputs["folder"] == folder
    assert declaration.outputs["corsOrigins"] == list(dict.fromkeys(origins))


# -- hostile alphabets: every value that reaches a name, policy or chart value is exactly valid ----

SUBNET = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/aks-network/providers/"
    "Microsoft.Network/virtualNetworks/aks-vnet/subnets/nodes"
)
KMS_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0f0e0d0c-0b0a-4909-8807-060504030201"
HOST = "https://label.example.com"
PROVIDER = {
    "aws": ("aws:region", "eu-west-1"),
    "gcp": ("gcp:project", "acme-ml-prod"),
    "azure": ("azure-native:location", "westeurope"),
}
BUCKET = {"aws": "acme-labels", "gcp": "acme-labels", "azure": "label-media", "s3-compatible": "label-studio"}
# Settings the stack file holds as secrets, by cloud: the S3-compatible server's keys.
SECRET_KEYS = {"s3-compatible": frozenset({"s3-compatible"})}
# A valid value for every string setting of each cloud, which the strategies below corrupt.
VALID_TOP = {
    "folder": "media/label-studio",
    "host": HOST,
    "namespace": "label-studio",
    "release": "label-studio",
    "chartVersion": "2.0.5",
    "credentials": "secret",
    "target": "kubernetes",
}
VALID_OBJECT = {
    "aws": {
        "oidcProviderArn": OIDC_ARN,
        "clusterName": "prod-cluster",
        "nodeRoleName": "eks-nodes",
        "kmsKeyArn": KMS_ARN,
        "encryption": "kms",
    },
    "gcp": {"location": "EU", "kmsKeyName": KMS_KEY_NAME, "serviceAccountId": "label-studio"},
    "azure": {
        "resourceGroup": "labels-rg",
        "storageAccount": "acmelabels",
        "allowedIpRanges": "52.1.2.3",
        "allowedSubnetIds": SUBNET,
    },
    "s3-compatible": {
        "endpointUrl": "https://minio.example.com:9000",
        "region": "us-east-1",
        "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    },
}
LIST_ENTRIES = {"allowedIpRanges", "allowedSubnetIds"}

# Characters that have slipped past anchored patterns, \w and \d, or that browsers rewrite.
HOSTILE_CHARS = st.one_of(
    st.sampled_from(list("\n\r\t \x00\x0b\x7f\u2028\u200b\ufeff:/@?#%*[]{}'\"\\.-_+=,é名٣ßİ")),
    st.characters(codec="utf-8"),
)
HOSTILE_SUFFIXES = st.sampled_from(
    ["\n", "\r\n", " ", ":443", ":80", ":0", ":08080", ":", "/", "@", "é", "٣", "\u200b", "..", "-", "\t"]
)
NOT_JSON = st.sampled_from(
    [
        datetime.date(2024, 1, 1),
        datetime.datetime(2024, 1, 1, 12, 0),
        b"\x00bin",
        {"a", "b"},
        float("nan"),
        float("inf"),
        ("pair", 1),
    ]
)


@st.composite
def corrupted(draw: st.DrawFn, valid: str) -> Any:
    """`valid` with a hostile edit: a suffix, prefix or inserted character, a hostile string, or a YAML type."""
    edit = draw(st.sampled_from(["suffix", "prefix", "insert", "replace", "upper", "yaml"]))
    if edit == "suffix":
        return valid + draw(HOSTILE_SUFFIXES)
    if edit == "prefix":
        return draw(HOSTILE_SUFFIXES) + valid
    if edit == "insert":
        at = draw(st.integers(0, len(valid)))
        return valid[:at] + draw(HOSTILE_CHARS) + valid[at:]
    if edit == "replace":
        return draw(st.text(HOSTILE_CHARS, min_size=0, max_size=20))
    if edit == "upper":
        return valid.upper()
    return draw(NOT_JSON)


def base_settings(cloud: str, target: str) -> dict[str, Any]:
    """Valid decoded settings (as `load_settings` takes them) for a cloud and target."""
    raw: dict[str, Any] = {"cloud": cloud, "bucket": BUCKET[cloud], "host": HOST, "target": target}
    if cloud in PROVIDER:
        provider, value = PROVIDER[cloud]
        raw[provider] = value
    if cloud == "aws" and target == "kubernetes":
        raw["aws"] = {"oidcProviderArn": OIDC_ARN}
    if cloud == "s3-compatible":
        raw[cloud] = dict(VALID_OBJECT[cloud])
    return raw


@st.composite
def hostile_settings(draw: st.DrawFn, cloud: str, target: str) -> tuple[dict[str, Any], str]:
    """Valid settings with one string corrupted; and the name every resulting problem must start with."""
    raw = base_settings(cloud, target)
    provider = dict([PROVIDER[cloud]]) if cloud in PROVIDER else {}
    place = draw(st.sampled_from(["top", "object", "origin"]))
    if place == "top":
        key = draw(st.sampled_from([*VALID_TOP, "bucket", *provider]))
        valid = {**VALID_TOP, "bucket": BUCKET[cloud], **provider, "target": target}[key]
        raw[key] = draw(corrupted(valid))
        return raw, key_name(key)
    if place == "origin":
        raw["corsOrigins"] = [HOST, draw(corrupted("https://upload.example.com:8443"))]
        return raw, "labelstudio:corsOrigins"
    field = draw(st.sampled_from(sorted(VALID_OBJECT[cloud])))
    value = draw(corrupted(VALID_OBJECT[cloud][field]))
    raw[cloud] = {**raw.get(cloud, {}), field: [value] if field in LIST_ENTRIES else value}
    return raw, f"labelstudio:{cloud}.{field}"


def assert_refused_by_name_or_exactly_valid(raw: dict[str, Any], name: str) -> None:
    try:
        settings, _ = load_settings(raw, SECRET_KEYS.get(raw["cloud"], frozenset()))
    except SettingsError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.startswith(name), (problem, name)
            assert "Traceback" not in problem and "pydantic" not in problem.lower(), problem
            assert len(problem) < 600, problem
        return
    # Accepted: nothing that reaches a resource name, policy or chart value may carry a stray character.
    for text in exposed_strings(settings.model_dump(exclude={"helm_values"})):
        assert text.isascii() and text.isprintable() and not any(c.isspace() for c in text), repr(text)
    for origin in settings.cors_origins:
        assert origin_problem(origin) is None, origin


@pytest.mark.parametrize("cloud", sorted(CLOUDS))
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_alphabets_are_refused_by_name_or_yield_exactly_valid_settings(cloud, data):
    target = data.draw(st.sampled_from(["kubernetes", "compose"]))
    raw, name = data.draw(hostile_settings(cloud, target))
    assert_refused_by_name_or_exactly_valid(raw, name)


def as_stack_file_config(raw: dict[str, Any]) -> dict[str, Any]:
    """Decoded settings as a stack file holds them: the S3-compatible server's keys as secrets."""
    config = {key if ":" in key else f"labelstudio:{key}": value for key, value in raw.items()}
    server = config.get("labelstudio:s3-compatible")
    if isinstance(server, dict):
        config["labelstudio:s3-compatible"] = {
            key: Decrypted(value) if key in ("accessKeyId", "secretAccessKey") and isinstance(value, str) else value
            for key, value in server.items()
        }
    return config


@pytest.mark.parametrize("target", ["kubernetes", "compose"])
@pytest.mark.parametrize("cloud", sorted(CLOUDS))
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_through_the_program_a_refused_stack_registers_nothing(cloud, target, data):
    """Every problem is found before the first resource is registered, on every cloud and target."""
    raw, name = data.draw(hostile_settings(cloud, target))
    declaration = declare(as_stack_file_config(raw))
    if declaration.error:
        assert declaration.resources == [], declaration.error
        assert name in declaration.error and "Traceback" not in declaration.error
    else:  # a corruption may still be a valid name (`0acme-labels`): the stack's own bucket is declared
        assert declaration.outputs["bucketName"] == raw["bucket"]
