"""The stand-ins' own decisions, as tables: what they grant must follow the platform's rules, so a
keyless case can only pass for the right reason."""

from __future__ import annotations

import pytest

from tests.keyless import eks, gke

POD_IDENTITY = {"Service": eks.POD_IDENTITY_SERVICE}
BOTH = ["sts:AssumeRole", "sts:TagSession"]


def trust(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.mark.parametrize(
    ("document", "allowed"),
    [
        (trust({"Effect": "Allow", "Principal": POD_IDENTITY, "Action": BOTH}), True),
        (trust({"Effect": "Allow", "Principal": POD_IDENTITY, "Action": "sts:*"}), True),
        (
            trust(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": [eks.EC2_SERVICE, eks.POD_IDENTITY_SERVICE]},
                    "Action": BOTH,
                }
            ),
            True,
        ),
        (trust({"Effect": "Allow", "Principal": POD_IDENTITY, "Action": "sts:AssumeRole"}), False),
        (trust({"Effect": "Allow", "Principal": {"Service": eks.EC2_SERVICE}, "Action": BOTH}), False),
        (trust({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": BOTH}), False),
        (
            trust(
                {"Effect": "Allow", "Principal": POD_IDENTITY, "Action": BOTH},
                {"Effect": "Deny", "Principal": POD_IDENTITY, "Action": "sts:TagSession"},
            ),
            False,
        ),
        # Conditions are not evaluated, so a conditional grant never counts (fail closed).
        (
            trust(
                {
                    "Effect": "Allow",
                    "Principal": POD_IDENTITY,
                    "Action": BOTH,
                    "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
                }
            ),
            False,
        ),
    ],
)
def test_the_trust_check_lets_a_service_in_only_for_every_action_unconditionally(document, allowed):
    assert eks.trusts(document, eks.POD_IDENTITY_SERVICE, BOTH) is allowed


ACCOUNT = "ls@acme-ml-prod.iam.gserviceaccount.com"
MEMBER = f"serviceAccount:{ACCOUNT}"


@pytest.mark.parametrize(
    ("grant", "permission", "resource", "allowed"),
    [
        (
            gke.Grant("buckets/labels", "roles/storage.objectAdmin", MEMBER),
            "storage.objects.create",
            "buckets/labels",
            True,
        ),
        (
            gke.Grant("buckets/labels", "roles/storage.objectAdmin", MEMBER),
            "storage.objects.create",
            "buckets/other",
            False,
        ),
        (
            gke.Grant("buckets/labels", "roles/storage.objectAdmin", MEMBER),
            "storage.buckets.get",
            "buckets/labels",
            False,
        ),
        (
            gke.Grant("buckets/labels", "roles/storage.objectViewer", MEMBER),
            "storage.objects.create",
            "buckets/labels",
            False,
        ),
        (
            gke.Grant("projects/acme-ml-prod", "roles/storage.objectAdmin", MEMBER),
            "storage.objects.get",
            "buckets/any",
            True,
        ),
        (
            gke.Grant("buckets/labels", "roles/storage.objectAdmin", "serviceAccount:x@y"),
            "storage.objects.get",
            "buckets/labels",
            False,
        ),
        (gke.Grant("buckets/labels", "roles/unknown", MEMBER), "storage.objects.get", "buckets/labels", False),
        (
            gke.Grant(f"serviceAccounts/{ACCOUNT}", "roles/iam.serviceAccountTokenCreator", MEMBER),
            "iam.serviceAccounts.signBlob",
            f"serviceAccounts/{ACCOUNT}",
            True,
        ),
        (
            gke.Grant(f"serviceAccounts/{ACCOUNT}", gke.WORKLOAD_IDENTITY_USER, MEMBER),
            "iam.serviceAccounts.signBlob",
            f"serviceAccounts/{ACCOUNT}",
            False,
        ),
    ],
)
def test_google_iam_grants_a_permission_only_through_a_role_that_holds_it_on_the_resource_or_project(
    grant, permission, resource, allowed
):
    assert gke.Iam([grant], "acme-ml-prod").allows(MEMBER, permission, resource) is allowed
