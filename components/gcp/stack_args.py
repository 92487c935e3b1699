"""The stack's settings as GcpStorage's arguments (the Google Cloud part of components/settings/component_args.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.facts import TrustedWorkloads
from components.gcp.settings import GcpSettings, project_problem
from components.settings.component_args import setting_input, storage_mode_args
from components.settings.model import Settings
from components.settings.problems import setting_name

if TYPE_CHECKING:
    from components.gcp.component import GcpStorageArgs


def storage_args(settings: Settings, workloads: TrustedWorkloads) -> GcpStorageArgs:
    gcp: GcpSettings = settings.cloud_object
    gcp_project = settings.provider_setting
    assert gcp is not None and gcp_project is not None and settings.access is not None
    args: GcpStorageArgs = {
        "bucket": settings.bucket,
        "project": gcp_project,
        "access": settings.access,
        "cors_origins": list(settings.cors_origins),
        "location": gcp.location,
        "folder": settings.folder,
        "retention_days": settings.retention_days,
        "protect": settings.protect,
        "force_destroy": settings.force_destroy,
        "trusted_workloads": workloads,
        **storage_mode_args(settings),  # type: ignore[typeddict-item]
    }
    if gcp.kms_key_name:
        args["kms_key_name"] = gcp.kms_key_name
    if gcp.service_account_id:
        args["service_account_id"] = gcp.service_account_id
    if gcp.cluster_project is not None:
        key = setting_name("gcp", ("clusterProject",))
        args["cluster_project"] = setting_input(settings, gcp.cluster_project, key, project_problem)
    return args
