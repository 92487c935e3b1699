"""S3-compatible storage (MinIO, Ceph, ...) under the SDK's mocks: nothing is declared on the server,
Label Studio gets the endpoint, SigV4 and its keys from exactly one place, and every mistake is
refused by name before anything is declared."""

from __future__ import annotations

import json

import pytest

from tests.conftest import OIDC_ARN, assert_no_plain_text, aws_stack, problems_of, run, s3_compatible_stack
from tools.mockrun import Decrypted, Secret, reveal

RELEASE = "kubernetes:helm.sh/v3:Release"
K8S_SECRET = "kubernetes:core/v1:Secret"
COMPONENT = "labelstudio:s3compatible:Storage"
ACCESS_KEY_ID, SECRET_ACCESS_KEY = "label-studio", "Zk0+secret/value"
KEYS = {"accessKeyId": Decrypted(ACCESS_KEY_ID), "secretAccessKey": Decrypted(SECRET_ACCESS_KEY)}
EXISTING_SECRET = {"name": "minio-label-studio", "accessKeyIdKey": "AWS_ACCESS_KEY_ID"}


def server(**settings):
    return {"s3-compatible": {"endpointUrl": "https://minio.example.com", **settings}}


def declared_types(declaration):
    """The resources a provider would create (components aside)."""
    return [r.type for r in declaration.resources if not r.type.startswith("labelstudio:")]


def s3_config(declaration):
    return declaration.one(RELEASE).inputs["values"]["global"]["persistence"]["config"]["s3"]


def test_keys_in_an_existing_secret_reach_the_chart_by_reference_and_nothing_else_is_declared():
    declaration = run(
        s3_compatible_stack(
            folder="media", createNamespace=False, **server(credentialsSecret=EXISTING_SECRET, region="eu-1")
        )
    )
    assert declared_types(declaration) == [RELEASE]
    assert declaration.one(RELEASE).parent == declaration.one("labelstudio:kubernetes:LabelStudio").urn
    assert s3_config(declaration) == {
        "bucket": "label-studio",
        "region": "eu-1",
        "folder": "media",
        "endpointUrl": "https://minio.example.com",
        "accessKeyExistingSecret": "minio-label-studio",
        "accessKeyExistingSecretKey": "AWS_ACCESS_KEY_ID",
        "secretKeyExistingSecret": "minio-label-studio",
        "secretKeyExistingSecretKey": "secretkey",
    }
    values = declaration.one(RELEASE).inputs["values"]
    assert values["global"]["extraEnvironmentVars"]["STORAGE_AWS_S3_SIGNATURE_VERSION"] == "s3v4"
    assert declaration.one(RELEASE).additional_secret_outputs == []
    outputs = declaration.outputs
    assert outputs["storage"] == "existing" and outputs["access"] == "access-keys"
    assert outputs["credentialsSecret"] == "minio-label-studio" and "envList" not in outputs
    assert outputs["endpointUrl"] == "https://minio.example.com"


def test_the_server_policy_output_grants_the_folder_only():
    policy = json.loads(run(s3_compatible_stack(folder="media/ls")).outputs["serverPolicy"])
    listing, objects = policy["Statement"]
    assert listing["Action"] == "s3:ListBucket" and listing["Resource"] == "arn:aws:s3:::label-studio"
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["media/ls/*"]}}
    assert objects["Resource"] == "arn:aws:s3:::label-studio/media/ls/*"
    assert sorted(objects["Action"]) == ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]


def test_keys_given_as_secret_settings_go_into_a_secret_the_stack_creates_and_stay_secret():
    declaration = run(s3_compatible_stack(**server(**KEYS)))
    secret = declaration.one(K8S_SECRET)
    assert isinstance(secret.inputs["stringData"], Secret)
    assert reveal(secret.inputs["stringData"]) == {"accesskey": ACCESS_KEY_ID, "secretkey": SECRET_ACCESS_KEY}
    config = s3_config(declaration)
    assert config["accessKeyExistingSecret"] == config["secretKeyExistingSecret"] == "label-studio-storage-credentials"
    assert config["endpointUrl"] == "https://minio.example.com"
    assert secret.urn in declaration.one(RELEASE).dependencies
    assert isinstance(declaration.outputs["envList"], Secret)
    assert_no_plain_text(declaration, [SECRET_ACCESS_KEY])


def test_inline_keys_are_secret_in_the_values_and_in_the_release_outputs():
    declaration = run(s3_compatible_stack(credentials="inline", **server(**KEYS)))
    assert declaration.of_type(K8S_SECRET) == []
    config = s3_config(declaration)
    assert reveal(config["secretKey"]) == SECRET_ACCESS_KEY and isinstance(config["secretKey"], Secret)
    assert declaration.one(RELEASE).additional_secret_outputs == ["values"]
    assert_no_plain_text(declaration, [SECRET_ACCESS_KEY])


def test_compose_gets_the_endpoint_and_keys_in_a_secret_env_list():
    endpoint = {"endpointUrl": "http://minio.internal:9000/"}  # the trailing slash is dropped
    declaration = run(s3_compatible_stack(target="compose", folder="ls", **{"s3-compatible": {**endpoint, **KEYS}}))
    assert declared_types(declaration) == []
    env_list = declaration.outputs["envList"]
    assert isinstance(env_list, Secret)
    assert reveal(env_list).splitlines() == [
        "STORAGE_TYPE=s3",
        f"STORAGE_AWS_ACCESS_KEY_ID={ACCESS_KEY_ID}",
        f"STORAGE_AWS_SECRET_ACCESS_KEY={SECRET_ACCESS_KEY}",
        "STORAGE_AWS_BUCKET_NAME=label-studio",
        "STORAGE_AWS_REGION_NAME=us-east-1",
        "STORAGE_AWS_FOLDER=ls",
        "STORAGE_AWS_ENDPOINT_URL=http://minio.internal:9000",
        "STORAGE_AWS_S3_SIGNATURE_VERSION=s3v4",
        "LABEL_STUDIO_HOST=https://label.example.com",
    ]
    assert_no_plain_text(declaration, [SECRET_ACCESS_KEY])


def test_the_plan_warns_about_cors_on_the_server_and_a_shared_bucket_without_a_folder():
    warnings = " ".join(run(s3_compatible_stack()).warnings)
    assert "labelstudio:folder is empty" in warnings
    assert "set them on the server" in warnings and "manageCors to true" not in warnings


IAM_NEEDED = "IRSA, Pod Identity and the node role are AWS IAM"


@pytest.mark.parametrize(
    ("settings", "key", "fragment"),
    [
        ({"access": "irsa"}, "labelstudio:access", IAM_NEEDED),
        ({"access": "pod-identity"}, "labelstudio:access", IAM_NEEDED),
        ({"access": "node-role"}, "labelstudio:access", IAM_NEEDED),
        ({"storage": "create"}, "labelstudio:storage", "use existing"),
        ({"storage": "adopt"}, "labelstudio:storage", "use existing"),
        ({"manageCors": True}, "labelstudio:manageCors", "set CORS on the server"),
        ({"forceDestroy": True}, "labelstudio:forceDestroy", "never empties"),
        (server(**KEYS) | {"s3-compatible": {"endpointUrl": "ftp://minio.example.com", **KEYS}},
         "labelstudio:s3-compatible.endpointUrl", "is not an http(s) URL"),
        ({"s3-compatible": {"endpointUrl": "minio.example.com:9000", **KEYS}},
         "labelstudio:s3-compatible.endpointUrl", "is not an http(s) URL"),
        ({"s3-compatible": {"endpointUrl": "https://minio.example.com/label-studio", **KEYS}},
         "labelstudio:s3-compatible.endpointUrl", "no path"),
        ({"s3-compatible": {"endpointUrl": "https://minio.example.com?x=1", **KEYS}},
         "labelstudio:s3-compatible.endpointUrl", "no path, query"),
        ({"s3-compatible": KEYS}, "labelstudio:s3-compatible.endpointUrl", "is required"),
        ({"s3-compatible": None}, "labelstudio:s3-compatible.endpointUrl", "is required"),
        (server(), "labelstudio:s3-compatible.accessKeyId", "is required"),
        (server(accessKeyId="AKIA", secretAccessKey="plain"), "labelstudio:s3-compatible.secretAccessKey",
         "plain text"),
        (server(credentialsSecret=EXISTING_SECRET, **KEYS), "labelstudio:s3-compatible.credentialsSecret",
         "keep one place"),
        (server(credentialsSecret=EXISTING_SECRET), "labelstudio:s3-compatible.credentialsSecret",
         "createNamespace to false"),
        (server(credentialsSecret=EXISTING_SECRET) | {"createNamespace": False, "credentials": "inline"},
         "labelstudio:s3-compatible.credentialsSecret", "remove labelstudio:credentials"),
        (server(credentialsSecret={"name": "Minio_Keys"}) | {"createNamespace": False},
         "labelstudio:s3-compatible.credentialsSecret.name", "is not a Kubernetes Secret name"),
        ({"bucket": "a"}, "labelstudio:bucket", "S3-compatible server accepts"),
    ],
)  # fmt: skip
def test_each_mistake_is_refused_in_one_message_naming_the_setting(settings, key, fragment):
    error = problems_of(s3_compatible_stack(**settings))
    (problem,) = [line.strip() for line in error.splitlines()[1:]]
    assert problem.startswith(f"- {key}") and fragment in problem, problem


def test_compose_cannot_read_a_kubernetes_secret():
    error = problems_of(s3_compatible_stack(target="compose", **server(credentialsSecret=EXISTING_SECRET)))
    assert "labelstudio:s3-compatible.credentialsSecret" in error and "Docker Compose cannot read" in error


def test_an_endpoint_with_a_password_is_refused_without_repeating_it():
    error = problems_of(
        s3_compatible_stack(**{"s3-compatible": {"endpointUrl": "https://admin:hunter2@minio", **KEYS}})
    )
    assert "carries credentials" in error and "hunter2" not in error


def test_a_secret_key_is_never_repeated_in_a_message():
    bad = {"accessKeyId": Decrypted("good-id"), "secretAccessKey": Decrypted("has a space\nand a line")}
    error = problems_of(s3_compatible_stack(**server(**bad)))
    assert "labelstudio:s3-compatible.secretAccessKey" in error and "has a space" not in error


@pytest.mark.parametrize(
    "settings",
    [{"aws": {"oidcProviderArn": OIDC_ARN, "endpointUrl": "http://minio:9000"}}, {"endpointUrl": "http://minio:9000"}],
)
def test_an_endpoint_written_for_aws_points_to_the_s3_compatible_object(settings):
    error = problems_of(aws_stack(**settings))
    assert "endpointUrl: is not a setting; it is a setting of labelstudio:s3-compatible" in error


SECRET_ON_KUBERNETES = {"credentialsSecret": EXISTING_SECRET}


@pytest.mark.parametrize(
    ("endpoint", "fragment"),
    [
        ("http://minio:9000", "only the pod's search list completes"),
        ("http://minio.minio.svc:9000", "only the pod's search list completes"),
        ("http://MINIO.minio.svc.cluster:9000", "only the pod's search list completes"),
        ("http://localhost:9000", "write 127.0.0.1"),
    ],
)
def test_on_kubernetes_a_host_only_the_search_list_completes_is_refused_with_the_full_form(endpoint, fragment):
    """nginx in Label Studio's image resolves the storage host without the pod's search list: uploads
    would work and every file would fail to load (tests/e2e/test_s3_compatible.py shows both)."""
    settings = {"endpointUrl": endpoint, **SECRET_ON_KUBERNETES}
    error = problems_of(s3_compatible_stack(createNamespace=False, **{"s3-compatible": settings}))
    (problem,) = [line.strip() for line in error.splitlines()[1:]]
    assert problem.startswith("- labelstudio:s3-compatible.endpointUrl") and fragment in problem, problem
    assert "<service>.<namespace>.svc.cluster.local" in problem and "502" in problem


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://minio.minio.svc.cluster.local:9000",
        "http://minio.storage.svc.corp.internal:9000",  # a cluster domain of its own
        "https://minio.example.com",
        "http://10.0.0.5:9000",
        "http://[fd00::5]:9000",
    ],
)
def test_on_kubernetes_a_full_name_or_an_address_is_taken_without_a_warning(endpoint):
    settings = {"endpointUrl": endpoint, **SECRET_ON_KUBERNETES}
    declaration = run(s3_compatible_stack(createNamespace=False, **{"s3-compatible": settings}))
    assert s3_config(declaration)["endpointUrl"] == endpoint.rstrip("/")
    assert [w for w in declaration.warnings if "endpointUrl" in w] == []


def test_on_kubernetes_a_two_label_host_is_taken_with_a_warning_that_says_which_reading_fails():
    """`minio.minio` is `<service>.<namespace>` to the search list, or a name of a private zone the
    cluster's DNS forwards: the program cannot tell, so it warns instead of refusing."""
    settings = {"endpointUrl": "http://minio.minio:9000", **SECRET_ON_KUBERNETES}
    declaration = run(s3_compatible_stack(createNamespace=False, **{"s3-compatible": settings}))
    (warning,) = [w for w in declaration.warnings if "endpointUrl" in w]
    assert "labelstudio:s3-compatible.endpointUrl" in warning and "'minio.minio'" in warning
    assert "<service>.<namespace>.svc.cluster.local" in warning and "ignore this warning" in warning


@pytest.mark.parametrize("endpoint", ["http://minio:9000", "http://minio.minio:9000", "http://localhost:9000"])
def test_on_docker_compose_a_service_name_is_taken_as_dockers_dns_answers_it(endpoint):
    """nginx in the image asks the nameserver of /etc/resolv.conf, which in Compose is Docker's
    embedded DNS (127.0.0.11): it answers service names as written."""
    declaration = run(s3_compatible_stack(target="compose", **{"s3-compatible": {"endpointUrl": endpoint, **KEYS}}))
    assert f"STORAGE_AWS_ENDPOINT_URL={endpoint}" in reveal(declaration.outputs["envList"])
    assert [w for w in declaration.warnings if "endpointUrl" in w] == []


HTTPS = "https://minio.minio.svc.cluster.local:9000"


@pytest.mark.parametrize(
    ("authority", "volume"),
    [
        ({"configMap": "corp-ca"}, {"configMap": {"name": "corp-ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}),
        ({"secret": "corp-ca", "key": "root.pem"},
         {"secret": {"secretName": "corp-ca", "items": [{"key": "root.pem", "path": "ca.crt"}]}}),
    ],
)  # fmt: skip
@pytest.mark.parametrize("enterprise", [False, True])
def test_a_private_authority_is_mounted_in_app_and_rqworker_and_named_in_aws_ca_bundle(authority, volume, enterprise):
    """botocore trusts only its own bundle unless AWS_CA_BUNDLE names one; the image's hook for
    `global.customCaCerts` sets REQUESTS_CA_BUNDLE and SSL_CERT_FILE, which botocore ignores."""
    settings = {"endpointUrl": HTTPS, "credentialsSecret": EXISTING_SECRET, "caCertificate": authority}
    declaration = run(s3_compatible_stack(createNamespace=False, enterprise=enterprise, **{"s3-compatible": settings}))
    values = reveal(declaration.one(RELEASE).inputs)["values"]
    assert values["global"]["extraEnvironmentVars"]["AWS_CA_BUNDLE"] == "/opt/heartex/secrets/storage-ca/ca.crt"
    mount = {"name": "storage-ca", "mountPath": "/opt/heartex/secrets/storage-ca", "readOnly": True}
    for component in ("app", "rqworker") if enterprise else ("app",):
        assert values[component]["extraVolumes"] == [{"name": "storage-ca", **volume}]
        assert values[component]["extraVolumeMounts"] == [mount]
    assert ("rqworker" in values) == enterprise
    assert "customCaCerts" not in values["global"]


def test_a_private_authority_comes_after_the_users_own_extra_volumes():
    theirs = {"app": {"extraVolumes": [{"name": "theirs", "emptyDir": {}}]}}
    settings = {"endpointUrl": HTTPS, "credentialsSecret": EXISTING_SECRET, "caCertificate": {"configMap": "ca"}}
    declaration = run(s3_compatible_stack(createNamespace=False, helmValues=theirs, **{"s3-compatible": settings}))
    volumes = reveal(declaration.one(RELEASE).inputs)["values"]["app"]["extraVolumes"]
    assert [volume["name"] for volume in volumes] == ["theirs", "storage-ca"]


def test_compose_names_the_bundle_in_env_list_and_the_volume_line_in_an_output():
    settings = {"endpointUrl": "https://minio:9000", "caCertificate": {"file": "./corp-ca.pem"}, **KEYS}
    declaration = run(s3_compatible_stack(target="compose", **{"s3-compatible": settings}))
    assert "AWS_CA_BUNDLE=/opt/heartex/secrets/storage-ca/ca.crt" in reveal(declaration.outputs["envList"])
    assert declaration.outputs["caCertificate"] == "./corp-ca.pem:/opt/heartex/secrets/storage-ca/ca.crt:ro"


def test_without_an_authority_nothing_is_mounted_and_no_bundle_is_named():
    settings = {"endpointUrl": HTTPS, "credentialsSecret": EXISTING_SECRET}
    declaration = run(s3_compatible_stack(createNamespace=False, **{"s3-compatible": settings}))
    values = reveal(declaration.one(RELEASE).inputs)["values"]
    assert "AWS_CA_BUNDLE" not in values["global"]["extraEnvironmentVars"] and "extraVolumes" not in values["app"]
    assert "caCertificate" not in declaration.outputs


@pytest.mark.parametrize(
    ("target", "settings", "key", "fragment"),
    [
        ("kubernetes", {"caCertificate": {"file": "/etc/ca.pem"}}, "caCertificate: file: is a", "pods cannot read"),
        ("kubernetes", {"caCertificate": {"configMap": "a", "secret": "b"}}, "caCertificate", "exactly one place"),
        ("kubernetes", {"caCertificate": {}}, "caCertificate", "exactly one place"),
        ("kubernetes", {"caCertificate": {"configMap": "Corp_CA"}}, "caCertificate.configMap", "not a Kubernetes"),
        ("kubernetes", {"caCertificate": {"configMap": "ca"}, "endpointUrl": "http://minio.minio.svc.cluster.local"},
         "caCertificate", "only matters over https"),
        ("compose", {"caCertificate": {"configMap": "ca"}}, "caCertificate: configMap:",
         "Docker Compose cannot read"),
        ("compose", {"caCertificate": {"file": "C:/ca.pem"}}, "caCertificate.file", "without spaces, ':'"),
    ],
)  # fmt: skip
def test_an_authority_that_cannot_work_is_refused_naming_the_setting(target, settings, key, fragment):
    if target == "kubernetes":
        server_settings = {"endpointUrl": HTTPS, "credentialsSecret": EXISTING_SECRET, **settings}
        config = s3_compatible_stack(createNamespace=False, **{"s3-compatible": server_settings})
    else:
        config = s3_compatible_stack(target="compose", **{"s3-compatible": {"endpointUrl": "https://minio", **KEYS,
                                                                            **settings}})  # fmt: skip
    error = problems_of(config)
    (problem,) = [line.strip() for line in error.splitlines()[1:]]
    assert problem.startswith(f"- labelstudio:s3-compatible.{key}") and fragment in problem, problem


def test_an_authority_in_a_configmap_needs_the_namespace_to_exist_first():
    settings = {"endpointUrl": HTTPS, "accessKeyId": KEYS["accessKeyId"], "secretAccessKey": KEYS["secretAccessKey"],
                "caCertificate": {"configMap": "ca"}}  # fmt: skip
    error = problems_of(s3_compatible_stack(**{"s3-compatible": settings}))
    assert "labelstudio:s3-compatible.caCertificate: configMap: must exist" in error
    assert "createNamespace to false" in error
