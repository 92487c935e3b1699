"""Hostile stack settings: every invalid one ends in one clear message naming its key, with no
traceback and nothing declared; every valid one runs to completion."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.settings import SettingsError, decode_config, load_settings
from tests.conftest import OIDC_ARN, aws_stack, azure_stack, gcp_stack
from tools.mockrun import declare, encode_config

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
}


@st.composite
def top_level_mutation(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A valid stack of some cloud with one top-level key set to a hostile value."""
    cloud = draw(st.sampled_from(sorted(CLOUDS)))
    build, provider_key, object_key, _ = CLOUDS[cloud]
    key = draw(st.sampled_from([*SHARED_KEYS, provider_key, object_key]))
    return build(**{key: draw(HOSTILE)}), key


@st.composite
def object_mutation(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A valid stack of some cloud with one key of its object set to a hostile value."""
    cloud = draw(st.sampled_from(sorted(CLOUDS)))
    build, _, object_key, keys = CLOUDS[cloud]
    base = {"oidcProviderArn": OIDC_ARN} if cloud == "aws" else {}
    return build(**{object_key: {**base, draw(st.sampled_from(keys)): draw(HOSTILE)}}), object_key


def as_the_cli_passes_it(config: dict[str, Any]) -> dict[str, Any]:
    """Stack-file values encoded like the CLI and decoded like the program, without the namespace."""
    encoded, _ = encode_config(config, "labelstudio")
    raw = decode_config({k.split(":", 1)[1]: v for k, v in encoded.items() if k.startswith("labelstudio:")})
    raw.update({k: v for k, v in encoded.items() if not k.startswith("labelstudio:")})
    return raw


def key_name(key: str) -> str:
    return key if ":" in key else f"labelstudio:{key}"


def assert_one_clear_problem(config: dict[str, Any], key: str) -> None:
    raw = as_the_cli_passes_it(config)
    try:
        load_settings(raw)
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
    config = aws_stack(bucket=bucket, folder=folder, corsOrigins=origins, target=target, enterprise=enterprise)
    if target == "compose":
        config.pop("labelstudio:aws")
    declaration = declare(config)
    assert declaration.error is None, declaration.error
    assert declaration.outputs["bucketName"] == bucket
    assert declaration.outputs["folder"] == folder
    assert declaration.outputs["corsOrigins"] == list(dict.fromkeys(origins))
