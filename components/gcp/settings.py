"""The `labelstudio:gcp` settings: the object's model, the Cloud Storage bucket and Google Cloud
name rules, and Google Cloud's part of the stack contract (`CLOUD`). Pure; loads no cloud SDK.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from components.names import IPV4
from components.settings.cloud import CloudSettings, Model, ProviderKey, StackValue, held_to
from components.settings.problems import problem

_GCP_PROJECT = re.compile(r"([a-z][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]", re.ASCII)
_GCP_LOCATION = re.compile(r"[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]", re.ASCII)
_GCP_KMS_KEY = re.compile(
    r"projects/[a-z][a-z0-9.:-]*[a-z0-9]/locations/[a-z0-9-]+/keyRings/[\w-]{1,63}/cryptoKeys/[\w-]{1,63}", re.ASCII
)
_GCP_SA_ID = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])", re.ASCII)
GCS_BUCKET_RULES = (
    "3-63 characters of lowercase letters, digits, '-', '_' and '.', starting and ending with a "
    "letter or digit, not starting with 'goog' and not containing 'google'"
)


def gcs_bucket_problem(name: str) -> str | None:
    """Why `name` is not a valid Cloud Storage bucket name, or None."""
    bad = (
        not re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]", name, re.ASCII)
        or ".." in name
        or IPV4.fullmatch(name)
        or name.startswith("goog")
        or "google" in name
        or "g00gle" in name
    )
    return f"is not a valid Cloud Storage bucket name; use {GCS_BUCKET_RULES}" if bad else None


class GcpSettings(Model):
    """The `labelstudio:gcp` object."""

    location: str = Field(
        "US",
        description="the bucket's location: a multi-region (`US`, `EU`, `ASIA`), a dual-region (`NAM4`, `EUR4`) "
        "or a region (`europe-west4`)",
    )
    kms_key_name: str | None = Field(
        None,
        description="an existing Cloud KMS key for CMEK, "
        "`projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>`; it must be in the bucket's "
        "location (a `US` bucket needs a key in `us`)",
        json_schema_extra={"default_doc": "none: Google-managed encryption"},
    )
    service_account_id: str | None = Field(
        None,
        description="the Google service account's id, 6-30 lowercase letters, digits and `-`, starting with a letter",
        json_schema_extra={
            "default_doc": "`ls-<release>-<6 hex digits>`, e.g. `ls-label-studio-894890`: the release (cut to fit) "
            "and a hash of stack and release, so stacks sharing a project and a release name never share an account"
        },
    )

    cluster_project: StackValue | None = Field(
        None,
        description="the GKE cluster's project, whose workload identity pool (`<project>.svc.id.goog`) Label "
        "Studio's pods belong to, when it is not the bucket's (access `workload-identity`); or read from the "
        "cluster's stack, see [below](#cluster-facts-from-another-stack)",
        json_schema_extra={"default_doc": "the bucket's project (`gcp:project`)"},
    )

    @field_validator("cluster_project")
    @classmethod
    def _cluster_project(cls, value: StackValue | None) -> StackValue | None:
        return held_to(project_problem, value)

    @field_validator("location")
    @classmethod
    def _location(cls, value: str) -> str:
        if not _GCP_LOCATION.fullmatch(value):
            raise problem("is not a Cloud Storage location; use e.g. US, EU, us-central1 or europe-west4")
        return value

    @field_validator("kms_key_name")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        if value is not None and not _GCP_KMS_KEY.fullmatch(value):
            raise problem(
                "is not a Cloud KMS key name; expected "
                "projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>"
            )
        return value

    @field_validator("service_account_id")
    @classmethod
    def _sa_id(cls, value: str | None) -> str | None:
        if value is not None and not (6 <= len(value) <= 30 and _GCP_SA_ID.fullmatch(value)):
            raise problem(
                "is not a service account id; use 6-30 lowercase letters, digits and '-', starting with a letter"
            )
        return value


def project_problem(project: str) -> str | None:
    """Why `project` is not a Google Cloud project id, or None."""
    if _GCP_PROJECT.fullmatch(project):
        return None
    return "is not a Google Cloud project id (6-30 lowercase letters, digits and '-', starting with a letter)"


CLOUD = CloudSettings(
    model=GcpSettings,
    field=Field(
        None,
        validate_default=True,
        description="the Google Cloud object (cloud `gcp`): see [gcp.md](gcp.md#google-cloud-settings)",
        json_schema_extra={"default_doc": "`{}`"},
    ),
    title="Google Cloud",
    access_modes=("workload-identity", "key"),
    keyed_access="key",
    bucket_problem=gcs_bucket_problem,
    provider_key=ProviderKey(
        key="gcp:project",
        field_name="gcp_project",
        field=Field(
            None,
            alias="gcp:project",
            validate_default=True,
            description="the Google Cloud provider's project, which holds the bucket (cloud `gcp`)",
            json_schema_extra={"prompt": "Google Cloud project id (cloud gcp only; else leave empty)"},
        ),
        how_to_set="run `pulumi config set gcp:project <project-id>`",
        problem=project_problem,
        environment=("GOOGLE_PROJECT", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT"),
    ),
)
