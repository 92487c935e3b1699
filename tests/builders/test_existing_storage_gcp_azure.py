"""Existing storage on Google Cloud and Azure: the exact import ids each provider documents, and the
warnings for how an existing bucket or account differs from the project's hardening."""

import pytest

from components.azure.adoption import (
    blob_container_id,
    blob_service_id,
    sku_note,
    storage_account_id,
    subscription_id_problem,
)
from components.azure.component import azure_storage_problems
from components.azure.hardening import account_hardening_differences, blob_service_differences
from components.cors import cors_differences
from components.gcp.adoption import bucket_import_id
from components.gcp.component import gcp_storage_problems
from components.gcp.hardening import hardening_differences

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
GCP = {"bucket": "acme", "project": "acme-ml", "access": "key", "cors_origins": []}
AZURE = {"container": "media", "location": "westeurope", "cors_origins": []}
AZURE_EXISTING = {"storage_account": "acmemedia", "resource_group": "media-rg"}
ORIGIN = "https://label.example.com"
LABEL_STUDIO_METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD"]
HARDENED_BUCKET = {
    "iamConfiguration": {"publicAccessPrevention": "enforced", "uniformBucketLevelAccess": {"enabled": True}},
    "versioning": {"enabled": True},
    "cors": [{"origin": [ORIGIN], "method": LABEL_STUDIO_METHODS}],
}


def test_gcs_bucket_import_id_is_project_slash_bucket():
    assert bucket_import_id("acme-labels-prod", "acme-media") == "acme-labels-prod/acme-media"


@pytest.mark.parametrize(
    ("account_id", "expected"),
    [
        (
            storage_account_id(SUBSCRIPTION, "media-rg", "acmemedia"),
            f"/subscriptions/{SUBSCRIPTION}/resourceGroups/media-rg/providers/Microsoft.Storage/storageAccounts/acmemedia",
        ),
        (
            blob_service_id(SUBSCRIPTION, "media-rg", "acmemedia"),
            f"/subscriptions/{SUBSCRIPTION}/resourceGroups/media-rg/providers/Microsoft.Storage/storageAccounts/"
            "acmemedia/blobServices/default",
        ),
        (
            blob_container_id(SUBSCRIPTION, "media-rg", "acmemedia", "labels"),
            f"/subscriptions/{SUBSCRIPTION}/resourceGroups/media-rg/providers/Microsoft.Storage/storageAccounts/"
            "acmemedia/blobServices/default/containers/labels",
        ),
    ],
)
def test_azure_import_ids_are_the_documented_arm_ids(account_id, expected):
    assert account_id == expected


@pytest.mark.parametrize("bad", ["", "00000000", "not-a-guid", f"{SUBSCRIPTION}/x", f" {SUBSCRIPTION}"])
def test_subscription_id_must_be_a_guid(bad):
    assert "subscription id" in subscription_id_problem(bad)


def test_subscription_id_guid_accepted():
    assert subscription_id_problem(SUBSCRIPTION) is None


def test_hardened_bucket_has_no_differences():
    assert hardening_differences(HARDENED_BUCKET, [ORIGIN]) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {
                "iamConfiguration": {
                    "publicAccessPrevention": "inherited",
                    "uniformBucketLevelAccess": {"enabled": True},
                }
            },
            "public access prevention",
        ),
        ({"iamConfiguration": {"publicAccessPrevention": "enforced"}}, "uniform bucket-level access"),
        ({"versioning": {"enabled": False}}, "versioning is off"),
        ({"cors": []}, f"CORS does not let {ORIGIN}"),
        ({"cors": [{"origin": [ORIGIN], "method": ["GET"]}]}, f"CORS does not let {ORIGIN}"),
        ({"cors": [{"origin": ["*"], "method": LABEL_STUDIO_METHODS}]}, "any origin"),
        (
            {"cors": [{"origin": [ORIGIN, "https://old-host.example.com"], "method": LABEL_STUDIO_METHODS}]},
            "CORS lets https://old-host.example.com use the storage",
        ),
    ],
)
def test_each_gcs_difference_is_reported_alone(change, expected):
    differences = hardening_differences({**HARDENED_BUCKET, **change}, [ORIGIN])
    assert len(differences) == 1 and expected in differences[0]


def test_a_bucket_left_at_cloud_storage_defaults_reports_everything():
    assert len(hardening_differences({}, [ORIGIN])) == 4


def test_cors_names_only_the_origins_left_out():
    other = "https://other.example.com"
    [difference] = cors_differences([([ORIGIN], LABEL_STUDIO_METHODS)], [ORIGIN, other])
    assert other in difference and f"{ORIGIN}," not in difference


def test_cors_names_the_origins_allowed_that_are_not_the_stacks_in_one_line():
    old, older = "https://old-host.example.com", "http://localhost:9000"
    rules = [([ORIGIN, old], LABEL_STUDIO_METHODS), ([older, old], ["GET"])]
    [difference] = cors_differences(rules, [ORIGIN])
    assert difference.startswith(f"CORS lets {old}, {older} use the storage") and f"{ORIGIN}," not in difference


def test_cors_open_to_any_origin_is_one_warning_even_beside_other_origins():
    """'*' lets every origin in: one line says so; the check's step for its refused origin fails too."""
    rules = [(["*"], LABEL_STUDIO_METHODS), (["https://old-host.example.com"], ["GET"])]
    [difference] = cors_differences(rules, [ORIGIN])
    assert difference.startswith("CORS lets any origin ('*')") and "old-host" not in difference
    assert "labelstudio:manageCors true replaces" in difference


def test_a_stack_without_origins_is_warned_about_every_origin_a_rule_allows():
    assert "CORS lets https://label.example.com use" in cors_differences([([ORIGIN], LABEL_STUDIO_METHODS)], [])[0]
    assert cors_differences([], []) == []


def test_s3_wildcard_origins_serve_the_origins_they_match_but_are_not_the_stacks():
    """S3 takes one '*' inside an origin; Cloud Storage and Azure take such an origin literally."""
    pattern = "https://*.example.com"
    assert cors_differences([([pattern], LABEL_STUDIO_METHODS)], [ORIGIN], wildcards=True) == [
        f"CORS lets {pattern} use the storage from browsers: not this stack's corsOrigins "
        "(labelstudio:manageCors true replaces the existing CORS with this stack's rule)"
    ]
    literal = cors_differences([([pattern], LABEL_STUDIO_METHODS)], [ORIGIN])
    assert len(literal) == 2 and literal[1].startswith(f"CORS does not let {ORIGIN} ")


def test_cors_methods_are_compared_case_insensitively():
    assert cors_differences([([ORIGIN], [m.lower() for m in LABEL_STUDIO_METHODS])], [ORIGIN]) == []


def test_hardened_azure_account_has_no_differences():
    account = {"allowBlobPublicAccess": False, "enableHttpsTrafficOnly": True, "minimumTlsVersion": "TLS1_2"}
    assert account_hardening_differences(account) == []


def test_azure_account_differences():
    account = {"allowBlobPublicAccess": True, "enableHttpsTrafficOnly": False, "minimumTlsVersion": "TLS1_0"}
    differences = account_hardening_differences(account)
    assert [d.split(" ")[0] for d in differences] == ["public", "plain", "the"]
    assert "TLS1_0" in differences[2]


def test_azure_fields_not_seen_are_not_judged():
    assert account_hardening_differences({}) == []
    assert (
        blob_service_differences(
            {"cors": {"corsRules": [{"allowedOrigins": [ORIGIN], "allowedMethods": LABEL_STUDIO_METHODS}]}}, [ORIGIN]
        )
        == []
    )


def test_azure_blob_service_differences():
    service = {"deleteRetentionPolicy": {"enabled": False}, "isVersioningEnabled": False}
    differences = blob_service_differences(service, [ORIGIN])
    assert ["soft delete" in differences[0], "versioning" in differences[1], "CORS" in differences[2]] == [True] * 3


def test_an_adopted_account_of_another_sku_is_kept_and_the_plan_says_so():
    assert sku_note("Premium_LRS", "BlockBlobStorage", "Premium_LRS", "BlockBlobStorage") is None
    note = sku_note("Standard_LRS", "StorageV2", "Premium_LRS", "BlockBlobStorage")
    assert "Standard_LRS StorageV2, kept as it is" in note


@pytest.mark.parametrize(
    ("check", "args", "expected"),
    [
        (gcp_storage_problems, {**GCP, "storage": "borrow"}, "storage 'borrow' is not a storage mode"),
        (gcp_storage_problems, {**GCP, "storage": "existing", "manage_cors": True}, "use storage adopt"),
        (azure_storage_problems, {**AZURE, "storage": "existing"}, "storageAccount: storage existing needs"),
        (azure_storage_problems, {**AZURE, **AZURE_EXISTING, "storage": "adopt"}, "subscriptionId '' is not set"),
        (
            azure_storage_problems,
            {**AZURE, **AZURE_EXISTING, "storage": "adopt", "subscription_id": "abc"},
            "subscriptionId 'abc' is not an Azure subscription id",
        ),
    ],
)
def test_components_refuse_storage_modes_they_cannot_build(check, args, expected):
    assert any(expected in problem.sentence for problem in check(args)), check(args)


def test_components_accept_what_each_storage_mode_needs():
    assert gcp_storage_problems({**GCP, "storage": "adopt", "manage_cors": True}) == []
    assert azure_storage_problems({**AZURE, **AZURE_EXISTING, "storage": "existing"}) == []
    assert (
        azure_storage_problems({**AZURE, **AZURE_EXISTING, "storage": "adopt", "subscription_id": SUBSCRIPTION}) == []
    )
