"""Workload Identity, proven by google-auth and google-cloud-storage against GKE stand-ins.

The pod process gets what GKE gives it: GCE_METADATA_HOST / GCE_METADATA_IP pointing at the
metadata server stand-in, and where Google's APIs are on this machine (see Google). Whether it
may store anything is decided by the grants the program declares, never by the test.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from tests.conftest import GCP_PROJECT, gcp_stack, run
from tests.harness.labelstudio import Interception, LabelStudio, OutboundTrap
from tests.harness.servers import free_port
from tests.harness.servers import serving as serving_process
from tests.harness.serving import PLAIN, assert_served
from tests.harness.tls import tls_identity
from tests.keyless import gke
from tests.keyless.cluster import Pod, RenderedPod
from tests.keyless.label_studio_case import (
    TASKS,
    Imported,
    answering,
    assert_stored_and_read_back,
    import_tasks,
    label_studio_as,
    try_import,
)
from tests.keyless.loopback import Request, serving
from tests.keyless.pod import PROBE, assert_round_trip, control_steps, ok, probe_key, run_named, storage_steps
from tools.mockrun import Declaration

# The pod is the app container of the rendered chart: this needs the end-to-end set-up (helm-python-sdk).
pytestmark = pytest.mark.e2e

BUCKET = "acme-labels-wi"
FOLDER = "media/label-studio"
OTHER_BUCKET = "someone-elses-bucket"


@pytest.fixture(scope="module")
def declared() -> Declaration:
    return run(gcp_stack(access="workload-identity", bucket=BUCKET, folder=FOLDER))


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1", "--port", str(port)]
    with serving_process([*command, "--in-memory", "--quiet"], port):
        admin = storage.Client(
            project=GCP_PROJECT,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": f"http://127.0.0.1:{port}"},
        )
        for name in (BUCKET, OTHER_BUCKET):
            admin.create_bucket(name)
        yield f"127.0.0.1:{port}"


@dataclass
class Google:
    """The stand-ins' shared state, and how a pod reaches Google's APIs on this machine.

    Cloud Storage's stand-in is on plain loopback HTTP, reached through API_ENDPOINT_OVERRIDE (the
    client library's endpoint variable that, unlike STORAGE_EMULATOR_HOST, keeps the
    credentials), so links name that host. signBlob is at iamcredentials.googleapis.com, which
    no setting moves: an outbound proxy (the end-to-end harness's) answers that one host over TLS
    with a throwaway CA's certificate, and refuses every other.
    """

    iam: gke.Iam
    tokens: gke.Tokens
    keys: gke.Keys
    emulator: str
    storage: str
    signing: Interception
    ca_file: Path

    def objects(self, bucket: str) -> dict[str, bytes]:
        """What a bucket holds, read past the stand-ins (as the bucket's owner would see it)."""
        admin = storage.Client(
            project=GCP_PROJECT,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": f"http://{self.emulator}"},
        )
        return {blob.name: blob.download_as_bytes() for blob in admin.list_blobs(bucket)}

    def routes(self) -> dict[str, str]:
        """Where Google's APIs are, for a process on this machine (the proxy itself comes on top)."""
        return {"API_ENDPOINT_OVERRIDE": f"http://{self.storage}", "REQUESTS_CA_BUNDLE": str(self.ca_file)}


@pytest.fixture(scope="module")
def google(declared, emulator, tmp_path_factory) -> Iterator[Google]:
    iam = gke.Iam(gke.declared_grants(declared), GCP_PROJECT)
    tokens, keys = gke.Tokens(), gke.Keys()
    ca, certificate, key = tls_identity(tmp_path_factory.mktemp("tls"), gke.IAM_CREDENTIALS_HOST)
    sign_blob = answering(gke.iam_credentials(iam, tokens, keys), gke.IAM_CREDENTIALS_HOST)
    signing = Interception(gke.IAM_CREDENTIALS_HOST, certificate, key, sign_blob)
    with serving(gke.cloud_storage(iam, tokens, keys, emulator)) as cloud_storage:
        yield Google(iam, tokens, keys, emulator, cloud_storage, signing, ca)


@contextmanager
def on_gke(pod: Pod, google: Google) -> Iterator[dict[str, str]]:
    """The environment GKE gives `pod` under Workload Identity: where its metadata server is."""
    with serving(gke.metadata_server(pod, GCP_PROJECT, google.iam, google.tokens)) as metadata:
        yield {"GCE_METADATA_HOST": metadata, "GCE_METADATA_IP": metadata}


def run_as(pod: Pod, google: Google, steps: dict[str, list[str]], home: Path) -> dict[str, Any]:
    """`steps` run by a process that GKE started as `pod`; nothing it sends leaves the machine."""
    proxy = OutboundTrap(google.signing)
    try:
        with on_gke(pod, google) as environment:
            return run_named("gcp", GCP_PROJECT, steps, environment | google.routes() | proxy.environment(), home)
    finally:
        proxy.close()
        assert proxy.attempts == [], f"the pod tried to reach beyond 127.0.0.1: {proxy.attempts}"


def test_the_rendered_service_account_is_annotated_with_the_declared_account(declared, rendered):
    assert rendered.pod.annotations[gke.ANNOTATION] == declared.outputs["serviceAccountEmail"]


@pytest.fixture(scope="module")
def the_pod(rendered, google, tmp_path_factory) -> dict[str, Any]:
    """Label Studio's storage calls from the declared pod, by name, with the pod."""
    pod = rendered.pod
    steps = storage_steps(BUCKET, FOLDER, OTHER_BUCKET)
    # The declared grant covers the whole bucket on Cloud Storage (docs/gcp.md): here "elsewhere"
    # is another bucket only.
    del steps["put outside the folder"]
    return {"pod": pod, **run_as(pod, google, steps, tmp_path_factory.mktemp("home"))}


def test_the_pod_acts_as_the_annotated_account(the_pod):
    assert the_pod["whoami"] == {"ok": True, "value": the_pod["pod"].annotations[gke.ANNOTATION]}


def test_the_upload_lands_under_the_folder_and_reads_back(the_pod, google):
    assert_round_trip(the_pod, FOLDER)
    assert google.objects(BUCKET)[probe_key(FOLDER)] == PROBE.encode()


def test_the_link_is_a_v4_link_signed_with_the_accounts_key(the_pod, google):
    link = the_pod["sign"]
    assert ok(link), link
    url = urlsplit(link["value"])
    claims = parse_qs(url.query)
    email = the_pod["pod"].annotations[gke.ANNOTATION]
    assert url.path == f"/{BUCKET}/{probe_key(FOLDER)}"
    assert claims["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"]
    assert claims["X-Goog-Credential"][0].startswith(f"{email}/")
    fetched = requests.get(link["value"], timeout=30)
    assert (fetched.status_code, fetched.content) == (200, PROBE.encode())
    # The same link with its object swapped no longer verifies: the signature covers the path.
    assert requests.get(link["value"].replace("probe.txt", "other.txt"), timeout=30).status_code == 403


def test_the_account_is_denied_other_buckets(the_pod, google):
    assert the_pod["put elsewhere"]["code"] == the_pod["list elsewhere"]["code"] == "403"
    assert google.objects(OTHER_BUCKET) == {}


@pytest.mark.parametrize(
    "elsewhere",
    [{"namespace": "default"}, {"service_account": "default"}],
    ids=["another-namespace", "another-service-account"],
)
def test_the_same_pod_elsewhere_cannot_store_anything(rendered, google, tmp_path_factory, elsewhere):
    pod = replace(rendered.pod, **elsewhere)
    before = google.objects(BUCKET)
    outcomes = run_as(pod, google, control_steps(BUCKET, FOLDER), tmp_path_factory.mktemp("home"))
    assert not any(ok(outcome) for outcome in outcomes.values()), outcomes
    # Refused where GKE refuses: at the metadata server, for want of the Workload Identity binding.
    assert all(gke.WORKLOAD_IDENTITY_USER in outcome["message"] for outcome in outcomes.values()), outcomes
    assert google.objects(BUCKET) == before


def test_a_link_signed_by_another_key_is_refused(the_pod, google):
    """The stand-in checks signatures for real: the same claims signed by another key fail."""
    link = the_pod["sign"]["value"]
    signature = parse_qs(urlsplit(link).query)["X-Goog-Signature"][0]
    stranger = gke.Keys().private("stranger@example.com")
    forged = stranger.sign(b"the same claims", padding.PKCS1v15(), hashes.SHA256()).hex()
    assert requests.get(link, timeout=30).status_code == 200
    assert requests.get(link.replace(signature, forged), timeout=30).status_code == 403


def test_sign_blob_signs_as_an_account_only_for_callers_the_declaration_allows(declared, rendered):
    """The declared Token Creator grant lets the account sign as itself, and no one else."""
    iam = gke.Iam(gke.declared_grants(declared), GCP_PROJECT)
    tokens, keys = gke.Tokens(), gke.Keys()
    sign_blob = gke.iam_credentials(iam, tokens, keys)
    account = rendered.pod.annotations[gke.ANNOTATION]

    def sign_as(caller: str) -> Any:
        request = Request(
            method="POST",
            host=gke.IAM_CREDENTIALS_HOST,
            path=f"/v1/projects/-/serviceAccounts/{account}:signBlob",
            raw_query="alt=json",
            headers={"Authorization": f"Bearer {tokens.issue(caller)}"},
            body=json.dumps({"payload": base64.b64encode(b"claims").decode()}).encode(),
        )
        return sign_blob(request)

    signed = sign_as(account)
    assert signed.status == 200
    assert keys.verifies(account, base64.b64decode(json.loads(signed.body)["signedBlob"]), b"claims")
    assert sign_as(f"someone-else@{GCP_PROJECT}.iam.gserviceaccount.com").status == 403


# -- Label Studio itself --------------------------------------------------------------------------


@contextmanager
def label_studio_on_gke(pod: Pod, rendered: RenderedPod, google: Google, root: Path) -> Iterator[LabelStudio]:
    """Label Studio started as the rendered app container, run by GKE as `pod`."""
    with (
        on_gke(pod, google) as platform,
        label_studio_as(rendered, platform, google.routes(), root, google.signing) as server,
    ):
        yield server


@pytest.fixture(scope="module")
def label_studio_case(rendered, google, tmp_path_factory) -> Iterator[Imported]:
    with label_studio_on_gke(rendered.pod, rendered, google, tmp_path_factory.mktemp("label-studio")) as server:
        yield import_tasks(server, "workload identity")


def test_label_studio_stores_under_the_folder_and_reads_it_back(label_studio_case, google):
    assert_stored_and_read_back(label_studio_case, FOLDER, lambda key: google.objects(BUCKET)[key])


def test_label_studio_links_are_signed_by_the_annotated_account_through_sign_blob(label_studio_case, rendered):
    server = label_studio_case.server
    link = server.storage_link(label_studio_case.file)
    claims = parse_qs(urlsplit(link).query)
    assert claims["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"]
    assert claims["X-Goog-Credential"][0].startswith(f"{rendered.pod.annotations[gke.ANNOTATION]}/")
    assert [call.split(":")[-1] for call in server.intercepted] == ["signBlob?alt=json"]
    # Cloud Storage's stand-in serves it only once the signature verifies with that account's key.
    fetched = requests.get(link, timeout=30)
    assert (fetched.status_code, fetched.content) == (200, TASKS)


def test_label_studio_in_another_namespace_cannot_store_anything(rendered, google, tmp_path_factory):
    elsewhere = replace(rendered.pod, namespace="default")
    before = google.objects(BUCKET)
    with label_studio_on_gke(elsewhere, rendered, google, tmp_path_factory.mktemp("label-studio")) as server:
        answer = try_import(server)
    assert answer.status_code >= 400, answer.text[:500]
    # Refused where GKE refuses: Label Studio's credentials never came, for want of the binding.
    assert gke.WORKLOAD_IDENTITY_USER in answer.text, answer.text[:500]
    assert google.objects(BUCKET) == before


def test_label_studio_serves_each_upload_through_the_images_nginx_and_chromium_shows_it(label_studio_case):
    assert_served(label_studio_case.server, labels=PLAIN)  # every name: the Cloud Storage emulator cases
