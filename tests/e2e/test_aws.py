"""Label Studio on the S3 storage the program declares, end to end, on moto.

For each case the program runs for a stack, moto gets the declared bucket (every setting), the
declared IAM policy on the declared principal, and then enforces IAM; Label Studio starts with
the environment it would get (compose: the envList output; kubernetes: the app container of the
rendered chart). Replaced, because an emulator forces it, and nothing else:
- the access key: moto issues its own for the declared user, in place of the stand-in;
- STORAGE_AWS_ENDPOINT_URL (and, for IRSA, AWS_ENDPOINT_URL_STS): moto's address, since nothing
  may reach AWS; Label Studio reads both;
- the database: SQLite, so no PostgreSQL is needed (DJANGO_DB=sqlite).
moto does not evaluate IAM condition keys (the `s3:prefix` on listing, the TLS-only bucket policy)
nor the trust policy of AssumeRoleWithWebIdentity: the trust policy is checked by the test against
the token the EKS webhook would mount, and the bucket policy is left off (moto would refuse all
plain HTTP, and it has no TLS).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.credentials import Credentials

from tests.conftest import OIDC_ARN, aws_stack, run
from tests.emulators.test_s3_against_moto import denied
from tests.harness import stand_ins
from tests.harness.aws_world import (
    IRSA_TOKEN_PATH,
    OTHER_BUCKET,
    World,
    access_key_user,
    signature_s3_accepts,
    stand_up,
)
from tests.harness.browser import page_server, run_page
from tests.harness.labelstudio import LabelStudio, label_studio
from tests.harness.pod import app_pod
from tests.harness.s3_front import S3Front, s3_front
from tests.harness.s3_world import OPERATOR_CORS_ID, OTHER_APPLICATION_KEY, REGION, client
from tests.harness.servers import enforce_iam, free_port, moto_server
from tests.harness.serving import ALL_NAMES, PLAIN, assert_served
from tools.mockrun import Declaration, reveal

pytestmark = pytest.mark.e2e

FOLDER = "media/label-studio"
TASKS = b'[{"text": "a cat on a mat"}]'
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"

# The page the browser tests load comes from here; the stacks allow it (and the app's own host).
PAGE_PORT = free_port()
ALLOWED = [f"http://127.0.0.1:{PAGE_PORT}", "https://label.example.com"]
KEYS = {"access": "access-keys", "aws": None, "folder": FOLDER, "corsOrigins": ALLOWED}
CASES = {
    "compose-access-keys": aws_stack(target="compose", **KEYS),
    "kubernetes-keys-in-secret": aws_stack(credentials="secret", **KEYS),
    "kubernetes-keys-inline": aws_stack(credentials="inline", **KEYS),
    "kubernetes-irsa": aws_stack(access="irsa", aws={"oidcProviderArn": OIDC_ARN}, folder=FOLDER, corsOrigins=ALLOWED),
    # A bucket made by hand that holds another application's data: only access and wiring declared.
    "kubernetes-existing-bucket": aws_stack(credentials="secret", storage="existing", manageCors=True, **KEYS),
    # The same kind of bucket adopted: imported, hardened as declared, its own CORS rule left alone.
    "compose-adopted-bucket": aws_stack(target="compose", storage="adopt", **KEYS),
}


@dataclass
class Case:
    declaration: Declaration
    world: World
    label_studio: LabelStudio
    environment: dict[str, str]
    credentials: Credentials  # Label Studio's own principal: its keys, or what STS gives its token
    principal: Any  # an S3 client acting as that principal (on moto)
    principal_key_id: str | None  # None for temporary credentials (IRSA)
    project: int
    front: S3Front


def web_identity_token(namespace: str, service_account: str) -> str:
    """The projected service account token the EKS webhook mounts (moto does not check its signature)."""
    issuer = OIDC_ARN.split(":oidc-provider/", 1)[1]
    claims = {
        "iss": f"https://{issuer}",
        "sub": f"system:serviceaccount:{namespace}:{service_account}",
        "aud": ["sts.amazonaws.com"],
        "exp": int(time.time()) + 3600,
    }
    parts = [{"alg": "RS256", "typ": "JWT"}, claims]
    encoded = [base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode() for part in parts]
    return ".".join([*encoded, "c2lnbmF0dXJl"])


def trust_refusals(trust: dict[str, Any], token: str) -> list[str]:
    """What STS would refuse when this token assumes a role with this trust policy (StringEquals only)."""
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    (statement,) = trust["Statement"]
    refusals = []
    issuer = claims["iss"].removeprefix("https://")
    if statement["Principal"].get("Federated", "").split(":oidc-provider/")[-1] != issuer:
        refusals.append(f"the trusted identity provider is not the token's issuer {issuer}")
    for key, expected in statement["Condition"]["StringEquals"].items():
        claim = claims.get(key.split(":")[-1])
        claim_values = claim if isinstance(claim, list) else [claim]
        allowed = expected if isinstance(expected, list) else [expected]
        if not set(claim_values) & set(allowed):
            refusals.append(f"{key} is {claim!r}, the role trusts only {allowed}")
    return refusals


@contextmanager
def running(name: str, root: Path, without: frozenset[str] = frozenset()) -> Iterator[Case]:
    """The case's storage on moto and Label Studio on it, a project made and a tasks file uploaded.

    `without`: variables taken out of what the program hands Label Studio, to show what breaks.
    """
    declaration = run(CASES[name])
    with moto_server() as endpoint, s3_front(endpoint, REGION) as front:
        world = stand_up(declaration, endpoint)
        front.operator = Credentials(*world.operator_key)
        replacements: dict[str, str] = {}
        key_id = None
        if declaration.of_type("aws:iam/accessKey:AccessKey"):
            key = access_key_user(declaration, world)
            key_id = key["AccessKeyId"]
            front.know(key["AccessKeyId"], key["SecretAccessKey"])
            replacements = {
                stand_ins.AWS_ACCESS_KEY_ID: key["AccessKeyId"],
                stand_ins.AWS_SECRET_ACCESS_KEY: key["SecretAccessKey"],
            }
        if "envList" in declaration.outputs:
            environment = stand_ins.substitute(stand_ins.env_list(reveal(declaration.outputs["envList"])), replacements)
        else:
            pod = app_pod(declaration, root / "pod", replacements)
            environment = pod.environment
        environment = {name: value for name, value in environment.items() if name not in without}
        # Replaced: moto's endpoint (behind the front that checks link signatures) for S3's, SQLite for PostgreSQL.
        environment |= {"STORAGE_AWS_ENDPOINT_URL": front.url, "DJANGO_DB": "sqlite"}
        if key_id is None:
            environment |= irsa_environment(declaration, pod, world, root, front.url)
            credentials = assumed_role_credentials(environment, world)
        else:
            credentials = Credentials(key_id, replacements[stand_ins.AWS_SECRET_ACCESS_KEY])
        front.know(credentials.access_key, credentials.secret_key, credentials.token)
        principal = s3_client(endpoint, credentials)
        enforce_iam(endpoint)
        with label_studio(environment, root / "label-studio") as server:
            project = server.create_project(name)
            server.upload(project, "tasks.json", TASKS)
            yield Case(declaration, world, server, environment, credentials, principal, key_id, project, front)


@pytest.fixture(scope="module", params=list(CASES))
def case(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Case]:
    with running(request.param, tmp_path_factory.mktemp(request.param)) as started:
        yield started


def irsa_environment(declaration: Declaration, pod: Any, world: World, root: Path, sts: str) -> dict[str, str]:
    """What the EKS pod identity webhook adds to a pod whose service account carries the role annotation.

    The role is created in moto under the declared role's name, with the declared trust policy and
    policy, so the annotation's ARN is the one moto knows. Replaced: the token's mount path (the
    process runs outside the image) and STS's endpoint.
    """
    role_arn = pod.service_account_annotations[IRSA_ANNOTATION]
    role = reveal(declaration.one("aws:iam/role:Role").inputs)
    iam = client("iam", world.endpoint)
    created = iam.create_role(RoleName=role_arn.rsplit("/", 1)[1], AssumeRolePolicyDocument=role["assumeRolePolicy"])
    assert created["Role"]["Arn"] == role_arn
    iam.attach_role_policy(RoleName=created["Role"]["RoleName"], PolicyArn=world.policy_arn)
    token = web_identity_token(pod.namespace, pod.service_account)
    refusals = trust_refusals(json.loads(role["assumeRolePolicy"]), token)
    assert refusals == [], f"STS would refuse the pod's token: {refusals}"
    token_file = root / "pod" / IRSA_TOKEN_PATH.lstrip("/")
    token_file.parent.mkdir(parents=True, exist_ok=True)
    token_file.write_text(token)
    return {
        "AWS_ROLE_ARN": role_arn,
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file),
        "AWS_STS_REGIONAL_ENDPOINTS": "regional",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL_STS": sts,
    }


def assumed_role_credentials(environment: dict[str, str], world: World) -> Credentials:
    """What STS hands the pod's token for the role, as botocore would get it (the call is signed
    by the operator only because moto insists; see s3_front)."""
    sts = client("sts", world.endpoint, *world.operator_key)
    answer = sts.assume_role_with_web_identity(
        RoleArn=environment["AWS_ROLE_ARN"],
        RoleSessionName="checks",
        WebIdentityToken=Path(environment["AWS_WEB_IDENTITY_TOKEN_FILE"]).read_text(),
    )["Credentials"]
    return Credentials(answer["AccessKeyId"], answer["SecretAccessKey"], answer["SessionToken"])


def s3_client(endpoint: str, credentials: Credentials, **options: Any) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        aws_session_token=credentials.token,
        **options,
    )


def test_the_upload_lands_under_the_folder_and_label_studio_reads_it_back(case):
    listed = case.world.operator.list_objects_v2(Bucket=case.world.bucket)
    keys = [item["Key"] for item in listed.get("Contents", [])]
    (key,) = [key for key in keys if key != OTHER_APPLICATION_KEY]  # an existing bucket holds other data
    assert key.startswith(f"{FOLDER}/upload/{case.project}/"), key
    assert case.world.operator.get_object(Bucket=case.world.bucket, Key=key)["Body"].read() == TASKS
    # Label Studio made its tasks by reading the file back from the bucket.
    assert [task["data"]["text"] for task in case.label_studio.tasks(case.project)] == ["a cat on a mat"]


def uploaded_name(case: Case) -> str:
    listed = case.world.operator.list_objects_v2(Bucket=case.world.bucket, Prefix=f"{FOLDER}/upload/")
    (item,) = listed["Contents"]
    return str(item["Key"]).removeprefix(f"{FOLDER}/")


def test_the_link_label_studio_hands_out_is_sigv4_by_its_own_principal_and_serves_the_bytes(case):
    link = case.label_studio.storage_link(uploaded_name(case))
    key_id = case.principal_key_id or link.split("X-Amz-Credential=")[1].split("%2F")[0]
    assert signature_s3_accepts(link, REGION, key_id) == []
    if case.principal_key_id is None:
        assert key_id.startswith("ASIA"), "IRSA: temporary credentials of the assumed role"
    fetched = requests.get(link, timeout=10)
    assert fetched.status_code == 200, fetched.text
    assert fetched.content == TASKS


def reached_outside(s3: Any, bucket: str) -> list[str]:
    """What the principal could do outside its folder and bucket; S3 must deny every one."""
    attempts: dict[str, tuple[Any, dict[str, Any]]] = {
        "write outside the folder": (s3.put_object, {"Bucket": bucket, "Key": "outside.json", "Body": b"{}"}),
        "read outside the folder": (s3.get_object, {"Bucket": bucket, "Key": f"other/{FOLDER}/x.json"}),
        "read another bucket": (s3.get_object, {"Bucket": OTHER_BUCKET, "Key": "media/theirs.json"}),
        "write another bucket": (s3.put_object, {"Bucket": OTHER_BUCKET, "Key": f"{FOLDER}/x.json", "Body": b"{}"}),
    }
    return [what for what, (call, arguments) in attempts.items() if not denied(call, **arguments)]


def test_the_principal_is_denied_another_bucket_and_objects_outside_the_folder(case):
    s3, bucket = case.principal, case.world.bucket
    assert s3.get_object(Bucket=bucket, Key=f"{FOLDER}/{uploaded_name(case)}")["Body"].read() == TASKS
    assert reached_outside(s3, bucket) == []


def test_on_an_existing_bucket_the_other_applications_data_is_out_of_reach_and_untouched(case):
    storage = reveal(case.declaration.outputs["storage"])
    if storage not in ("existing", "adopt"):
        pytest.skip("only an existing or adopted bucket holds another application's data")
    assert bool(case.declaration.of_type("aws:s3/bucket:Bucket")) == (storage == "adopt")
    assert denied(case.principal.get_object, Bucket=case.world.bucket, Key=OTHER_APPLICATION_KEY)
    assert denied(case.principal.delete_object, Bucket=case.world.bucket, Key=OTHER_APPLICATION_KEY)
    assert case.world.operator.get_object(Bucket=case.world.bucket, Key=OTHER_APPLICATION_KEY)["Body"].read() == b"{}"


def test_an_adopted_bucket_is_imported_and_hardened_and_the_operators_data_and_cors_are_untouched(case):
    """What adopting a bucket promises: the bucket the team made is imported by its name, protected,
    and the hardening declared for it (applied here as the provider would) changes settings only:
    the other application's object is the one version written before adoption, byte for byte, and
    the CORS rule set by hand still serves Label Studio's browsers (the browser test)."""
    if reveal(case.declaration.outputs["storage"]) != "adopt":
        pytest.skip("only an adopted bucket is imported and hardened")
    bucket, operator = case.world.bucket, case.world.operator
    (declared,) = case.declaration.of_type("aws:s3/bucket:Bucket")
    assert (declared.import_id, declared.protect) == (bucket, True)
    assert operator.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    block = operator.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4, block
    assert operator.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    versions = operator.list_object_versions(Bucket=bucket, Prefix=OTHER_APPLICATION_KEY)
    assert [(v["Key"], v["VersionId"]) for v in versions["Versions"]] == [(OTHER_APPLICATION_KEY, "null")]
    assert "DeleteMarkers" not in versions
    assert operator.get_object(Bucket=bucket, Key=OTHER_APPLICATION_KEY)["Body"].read() == b"{}"
    assert [rule.get("ID") for rule in operator.get_bucket_cors(Bucket=bucket)["CORSRules"]] == [OPERATOR_CORS_ID]


def test_a_policy_without_the_folder_would_fail_the_suite():
    """The check above can fail: with the folder dropped from the declared policy's object
    statement, the same principal writes and reads outside the folder (and only there: the
    other bucket stays out of reach)."""
    declaration = run(CASES["compose-access-keys"])
    document = json.loads(reveal(declaration.one("aws:iam/policy:Policy").inputs)["policy"])
    (objects,) = [statement for statement in document["Statement"] if statement["Sid"] == "ReadWriteObjects"]
    objects["Resource"] = objects["Resource"].replace(f"/{FOLDER}/*", "/*")
    with moto_server() as endpoint:
        world = stand_up(declaration, endpoint, policy=json.dumps(document))
        key = access_key_user(declaration, world)
        client("s3", endpoint).put_object(Bucket=world.bucket, Key=f"other/{FOLDER}/x.json", Body=b"{}")
        enforce_iam(endpoint)
        s3 = client("s3", endpoint, key["AccessKeyId"], key["SecretAccessKey"])
        assert reached_outside(s3, world.bucket) == ["write outside the folder", "read outside the folder"]


def test_without_the_signature_version_label_studio_hands_out_sigv2_links_that_s3_refuses(tmp_path):
    """The suite catches the defect main just fixed: drop STORAGE_AWS_S3_SIGNATURE_VERSION and botocore
    presigns with Signature Version 2, which S3 refuses for every bucket created since June 2020."""
    with running("compose-access-keys", tmp_path, without=frozenset({"STORAGE_AWS_S3_SIGNATURE_VERSION"})) as broken:
        link = broken.label_studio.storage_link(uploaded_name(broken))
        assert signature_s3_accepts(link, REGION, broken.principal_key_id or "") == [
            "signed with Signature Version 2, which S3 refuses for this bucket"
        ]
        refused = requests.get(link, timeout=10)
        assert refused.status_code == 403 and b"Signature Version 2" in refused.content


def test_a_browser_reads_the_link_and_uploads_from_an_allowed_origin_and_is_blocked_from_another(case):
    """moto answers preflights by the declared rule's origins (not its methods or headers); the front
    checks the signatures. The page gets Label Studio's link and a presigned PUT signed as Label Studio."""
    uploader = s3_client(case.front.url, case.credentials, config=Config(signature_version="s3v4"))
    link = case.label_studio.storage_link(uploaded_name(case))

    def put_url(name: str) -> str:
        params = {"Bucket": case.world.bucket, "Key": f"{FOLDER}/browser/{name}"}
        return str(uploader.generate_presigned_url("put_object", Params=params, ExpiresIn=600))

    with page_server(PAGE_PORT) as (origin, page):
        allowed = run_page(
            origin, page, link, put_url("allowed.txt"), "from the browser", {"Content-Type": "text/plain"}
        )
    assert allowed["read"] == {"status": 200, "body": TASKS.decode()}, allowed
    assert allowed["upload"].get("status") == 200, (allowed, case.front.refused)
    stored = case.world.operator.get_object(Bucket=case.world.bucket, Key=f"{FOLDER}/browser/allowed.txt")
    assert stored["Body"].read() == b"from the browser"

    with page_server() as (origin, page):
        other = run_page(origin, page, link, put_url("other.txt"), "from elsewhere", {"Content-Type": "text/plain"})
    assert "blocked" in other["read"] and "blocked" in other["upload"], other
    listed = case.world.operator.list_objects_v2(Bucket=case.world.bucket, Prefix=f"{FOLDER}/browser/other")
    assert "Contents" not in listed, "the preflight was refused, so the browser never sent the upload"


def test_each_upload_is_served_through_the_images_nginx_and_chromium_shows_it(case, request):
    """Every file name once on this emulator (the first case), the plain one on the others."""
    first = request.node.callspec.params["case"] == next(iter(CASES))
    assert_served(case.label_studio, labels=ALL_NAMES if first else PLAIN)
