"""Label Studio on an S3-compatible server, end to end, with moto as the server (tests/e2e/s3_compatible_world).

The stack declares nothing on the server, so the module's fixture does what docs/s3-compatible.md
tells the server's administrator to do: the bucket, holding the operator's own objects; Label
Studio's user with the stack's `serverPolicy` output, and its access key; then IAM is enforced.
The stacks name the server as users do: compose by its service name, `http://minio:<port>`
(Docker's embedded DNS answers it), kubernetes by the service's full name,
`http://minio.minio.svc.cluster.local:<port>` (cluster DNS answers it); a DNS stand-in answers
exactly those names for the image's nginx, and the pod's resolver (search list) for Label Studio
(tests/harness/nginx.py). Whatever Label Studio does there went path-style (`<bucket>.minio` does not
resolve). Label Studio starts with the environment it would get: compose, the envList output, its
keys given as secret settings; kubernetes, the app container of the rendered chart, its keys read
from the Secret the administrator made. Replaced, and nothing else: the database, SQLite
(DJANGO_DB=sqlite). The endpoint and the keys are the stack's own. One moto serves the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import run, s3_compatible_stack
from tests.e2e.test_aws import FOLDER, TASKS, reached_outside
from tests.harness import stand_ins
from tests.harness.aws_world import OTHER_BUCKET, signature_s3_accepts
from tests.harness.labelstudio import LabelStudio, label_studio
from tests.harness.nginx import LOOPBACK, Names, pod_search
from tests.harness.pod import app_pod
from tests.harness.s3_compatible_world import Administered, Server, administer, s3_compatible_server
from tests.harness.s3_front import s3_front
from tests.harness.s3_world import REGION, client
from tests.harness.servers import enforce_iam
from tests.harness.serving import (
    IMAGE,
    PLAIN,
    assert_served,
    image_project,
    import_image,
    served_problems,
    through_nginx,
)
from tests.harness.tls import tls_identity
from tools.mockrun import Declaration, Decrypted, reveal

pytestmark = pytest.mark.e2e

COMPOSE_HOST = "minio"  # the Compose service
CLUSTER_HOST = "minio.minio.svc.cluster.local"  # service `minio` in namespace `minio`
SECRET = "minio-label-studio"  # the Kubernetes Secret the administrator creates (docs/s3-compatible.md)
ORIGINS = ["https://label.example.com"]
# An object of the operator's whose key starts like the folder, beside it: the user must not reach it.
BESIDE = f"other/{FOLDER}/x.json"


@dataclass
class Setup:
    server: Server
    admin: Administered
    keyed: Declaration  # compose, the keys as secret settings
    in_secret: Declaration  # kubernetes, the keys in the administrator's Secret
    before: dict[str, bytes]  # every object of the operator's outside the folder, before Label Studio ran


@dataclass
class Started:
    declaration: Declaration
    environment: dict[str, str]
    label_studio: LabelStudio
    project: int
    key: str  # the object the upload added


def stack(server: Server, host: str, keys: dict[str, Any], **settings: Any) -> Declaration:
    """An S3-compatible stack on this server, named `host`; `keys` go into the s3-compatible object."""
    on_server = {"endpointUrl": server.at(host), "region": REGION, **keys}
    return run(s3_compatible_stack(folder=FOLDER, corsOrigins=ORIGINS, **settings, **{"s3-compatible": on_server}))


def outside_the_folder(world: Setup) -> dict[str, bytes]:
    """Every object in another bucket, or outside the folder in Label Studio's: bucket/key -> its bytes."""
    s3, found = world.admin.world.operator, {}
    for bucket in (world.admin.world.bucket, OTHER_BUCKET):
        for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            if bucket == OTHER_BUCKET or not item["Key"].startswith(f"{FOLDER}/"):
                found[f"{bucket}/{item['Key']}"] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    return found


@pytest.fixture(scope="module")
def world() -> Iterator[Setup]:
    with s3_compatible_server() as server:
        in_secret = stack(server, CLUSTER_HOST, {"credentialsSecret": {"name": SECRET}}, createNamespace=False)
        admin = administer(server, in_secret)
        admin.world.operator.put_object(Bucket=admin.world.bucket, Key=BESIDE, Body=b"{}")
        keys = {"accessKeyId": Decrypted(admin.key_id), "secretAccessKey": Decrypted(admin.secret)}
        keyed = stack(server, COMPOSE_HOST, keys, target="compose")
        # The user was made from one stack's policy: the other stack asks for the same.
        assert reveal(keyed.outputs["serverPolicy"]) == reveal(in_secret.outputs["serverPolicy"])
        enforce_iam(server.moto)
        made = Setup(server, admin, keyed, in_secret, {})
        made.before = outside_the_folder(made)
        yield made


@pytest.fixture(scope="module")
def compose(world: Setup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Started]:
    environment = stand_ins.env_list(reveal(world.keyed.outputs["envList"])) | {"DJANGO_DB": "sqlite"}
    names = Names({COMPOSE_HOST: LOOPBACK})  # Docker's embedded DNS: service names as written
    with started(world, world.keyed, environment, tmp_path_factory.mktemp("compose"), names) as case:
        yield case


@pytest.fixture(scope="module")
def kubernetes(world: Setup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Started]:
    root = tmp_path_factory.mktemp("kubernetes")
    made_by_hand = {SECRET: {"accesskey": world.admin.key_id, "secretkey": world.admin.secret}}
    pod = app_pod(world.in_secret, root / "pod", existing_secrets=made_by_hand)
    names = Names({CLUSTER_HOST: LOOPBACK}, pod_search(pod.namespace))
    with started(world, world.in_secret, pod.environment | {"DJANGO_DB": "sqlite"}, root, names) as case:
        yield case


@contextmanager
def started(
    world: Setup, declaration: Declaration, environment: dict[str, str], root: Path, names: Names
) -> Iterator[Started]:
    """Label Studio with `environment`, its storage host answered as `names` says, a project made
    and a tasks file uploaded; the one object the upload added to Label Studio's bucket (anywhere
    in it) is the case's `key`."""
    with label_studio(environment, root / "label-studio", names=names) as server:
        before = keys_in(world)
        project = server.create_project(reveal(declaration.outputs["target"]))
        server.upload(project, "tasks.json", TASKS)
        (key,) = keys_in(world) - before
        yield Started(declaration, environment, server, project, key)


def keys_in(world: Setup) -> set[str]:
    """Every key in Label Studio's bucket, as the operator lists it."""
    listed = world.admin.world.operator.list_objects_v2(Bucket=world.admin.world.bucket)
    return {item["Key"] for item in listed.get("Contents", [])}


def user(world: Setup) -> Any:
    """An S3 client with Label Studio's user's key, at the stack's endpoint."""
    return client("s3", world.server.endpoint, world.admin.key_id, world.admin.secret)


def test_compose_runs_on_the_stacks_endpoint_and_keys_unchanged(world, compose):
    env = compose.environment
    assert env["STORAGE_AWS_ENDPOINT_URL"] == world.server.at(COMPOSE_HOST)
    assert (env["STORAGE_AWS_ACCESS_KEY_ID"], env["STORAGE_AWS_SECRET_ACCESS_KEY"]) == (
        world.admin.key_id,
        world.admin.secret,
    )


def lands_in_the_folder_and_is_read_back(world: Setup, case: Started) -> None:
    assert case.key.startswith(f"{FOLDER}/upload/{case.project}/"), case.key
    operator = world.admin.world.operator
    assert operator.get_object(Bucket=world.admin.world.bucket, Key=case.key)["Body"].read() == TASKS
    # Label Studio made its tasks by reading the file back from the bucket.
    assert [task["data"]["text"] for task in case.label_studio.tasks(case.project)] == ["a cat on a mat"]


def test_compose_uploads_into_the_folder_and_reads_it_back(world, compose):
    lands_in_the_folder_and_is_read_back(world, compose)


def test_compose_hands_out_a_sigv4_path_style_link_on_the_endpoint_that_serves_the_bytes(world, compose):
    key = compose.key
    link = compose.label_studio.storage_link(key.removeprefix(f"{FOLDER}/"))
    parts, endpoint = urlsplit(link), urlsplit(world.server.at(COMPOSE_HOST))
    assert (parts.scheme, parts.netloc) == (endpoint.scheme, endpoint.netloc), link
    assert parts.path == f"/{world.admin.world.bucket}/{key}", "path-style: the bucket is the path's first segment"
    assert signature_s3_accepts(link, REGION, world.admin.key_id) == []
    # The test process cannot resolve `minio`: it sends the link to the front under its own Host.
    direct = world.server.front.url + link.removeprefix(f"{parts.scheme}://{parts.netloc}")
    fetched = requests.get(direct, headers={"Host": parts.netloc}, timeout=10)
    assert fetched.status_code == 200, (fetched.text, world.server.front.refused)
    assert fetched.content == TASKS


def test_the_operators_objects_outside_the_folder_are_untouched(world, compose, kubernetes):
    assert outside_the_folder(world) == world.before
    assert f"{world.admin.world.bucket}/{BESIDE}" in world.before


def test_the_users_key_works_in_the_folder_and_is_denied_outside_it(world, compose):
    s3, bucket = user(world), world.admin.world.bucket
    assert s3.get_object(Bucket=bucket, Key=compose.key)["Body"].read() == TASKS
    assert reached_outside(s3, bucket) == []


def test_kubernetes_reads_the_keys_from_the_administrators_secret_and_works(world, kubernetes):
    env = kubernetes.environment
    assert env["STORAGE_AWS_ENDPOINT_URL"] == world.server.at(CLUSTER_HOST)
    assert env["STORAGE_AWS_ACCESS_KEY_ID"] == world.admin.key_id, "resolved from the Secret made by hand"
    lands_in_the_folder_and_is_read_back(world, kubernetes)


def test_compose_serves_each_upload_through_the_images_nginx_and_chromium_shows_it(compose):
    assert_served(compose.label_studio)


def test_kubernetes_serves_each_upload_through_the_images_nginx_and_chromium_shows_it(kubernetes):
    assert_served(kubernetes.label_studio, labels=PLAIN)  # every name once on this emulator: compose


@pytest.mark.parametrize("short", ["minio.minio", "minio.minio.svc"])
def test_control_a_short_service_name_uploads_but_nginx_cannot_fetch_a_file(world, short, tmp_path):
    """Why the program refuses (`minio.minio.svc`) or warns about (`minio.minio`) such an endpoint on
    Kubernetes: the kubernetes case's pod, its endpoint written short as users write it. Label
    Studio's S3 client resolves it through the pod's search list, so the upload lands; nginx asks
    DNS for the name as written, which cluster DNS does not know, and answers 502 for every file.
    The kubernetes case above, with the full name, is the other half: both work."""
    made_by_hand = {SECRET: {"accesskey": world.admin.key_id, "secretkey": world.admin.secret}}
    pod = app_pod(world.in_secret, tmp_path / "pod", existing_secrets=made_by_hand)
    environment = pod.environment | {"DJANGO_DB": "sqlite", "STORAGE_AWS_ENDPOINT_URL": world.server.at(short)}
    names = Names({CLUSTER_HOST: LOOPBACK}, pod_search(pod.namespace))
    assert names.resolve(short) == LOOPBACK and names.resolve(CLUSTER_HOST) == LOOPBACK
    with started(world, world.in_secret, environment, tmp_path, names) as case:
        lands_in_the_folder_and_is_read_back(world, case)
        server = case.label_studio
        project = image_project(server)
        imported = import_image(server, project, "cat.png")
        assert (
            world.admin.world.operator.get_object(Bucket=world.admin.world.bucket, Key=f"{FOLDER}/{imported.file}")[
                "Body"
            ].read()
        ) == IMAGE, "the upload landed"
        answer = through_nginx(server, imported.task_url)
        assert answer.status_code == 502, (answer.status_code, answer.content[:200])
        assert f"{short} could not be resolved" in server.nginx_errors(), server.nginx_errors()


AUTHORITY = "corp-ca"  # the ConfigMap the administrator makes from the authority's certificate


def test_a_server_with_a_private_authoritys_certificate_works_only_with_ca_certificate(world, tmp_path):
    """The same moto behind TLS, its certificate from a test authority. The kubernetes stack names
    the authority's ConfigMap in caCertificate; the pod is the rendered chart's. Without
    AWS_CA_BUNDLE (what the stack gave before, and what `global.customCaCerts` gives botocore),
    Label Studio's upload fails on the certificate; with it, the upload lands and is read back
    through nginx (which, as shipped, does not verify the storage's certificate at all)."""
    ca, certificate, key = tls_identity(tmp_path / "tls", CLUSTER_HOST)
    with s3_front(world.server.moto, REGION, tls=(certificate, key)) as front:
        front.secrets, front.operator = world.server.front.secrets, world.server.front.operator
        endpoint = front.url.replace("127.0.0.1", CLUSTER_HOST)
        server = {"endpointUrl": endpoint, "region": REGION, "credentialsSecret": {"name": SECRET}}
        declaration = run(
            s3_compatible_stack(
                folder=FOLDER,
                corsOrigins=ORIGINS,
                createNamespace=False,
                **{"s3-compatible": {**server, "caCertificate": {"configMap": AUTHORITY}}},
            )
        )
        made_by_hand = {SECRET: {"accesskey": world.admin.key_id, "secretkey": world.admin.secret}}
        pod = app_pod(
            declaration,
            tmp_path / "pod",
            existing_secrets=made_by_hand,
            existing_config_maps={AUTHORITY: {"ca.crt": ca.read_text()}},
        )
        environment = pod.environment | {"DJANGO_DB": "sqlite"}
        assert Path(environment["AWS_CA_BUNDLE"]).read_text() == ca.read_text(), "mounted where the variable says"
        names = Names({CLUSTER_HOST: LOOPBACK}, pod_search(pod.namespace))

        untrusted = {name: value for name, value in environment.items() if name != "AWS_CA_BUNDLE"}
        untrusted["AWS_MAX_ATTEMPTS"] = "1"  # botocore would retry the handshake for a minute: fail at once
        with label_studio(untrusted, tmp_path / "untrusted", names=names) as refused:
            project = refused.create_project("untrusted")
            with pytest.raises(AssertionError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
                refused.upload(project, "tasks.json", TASKS)

        with started(world, declaration, environment, tmp_path / "trusted", names) as case:
            lands_in_the_folder_and_is_read_back(world, case)
            server_ = case.label_studio
            imported = import_image(server_, image_project(server_), "cat.png")
            assert served_problems(server_, imported) == []
