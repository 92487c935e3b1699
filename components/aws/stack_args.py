"""The stack's settings as AwsStorage's arguments (the AWS part of components/stack_args.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components.aws.settings import CLUSTER_FACTS, AwsSettings
from components.facts import TrustedWorkloads
from components.problems import setting_name
from components.settings import Settings
from components.stack_args import setting_input, storage_mode_args

if TYPE_CHECKING:
    from components.aws.component import AwsStorageArgs


def storage_args(settings: Settings, workloads: TrustedWorkloads) -> AwsStorageArgs:
    aws: AwsSettings = settings.cloud_object
    aws_region = settings.provider_setting
    assert aws is not None and aws_region is not None and settings.access is not None
    args: AwsStorageArgs = {
        "bucket": settings.bucket,
        "region": aws_region,
        "access": settings.access,
        "cors_origins": list(settings.cors_origins),
        "folder": settings.folder,
        "retention_days": settings.retention_days,
        "protect": settings.protect,
        "force_destroy": settings.force_destroy,
        "encryption": "kms" if aws.uses_kms else "aes256",
        "trusted_workloads": workloads,
        **storage_mode_args(settings),  # type: ignore[typeddict-item]
    }
    optional: dict[str, Any] = {"kms_key_arn": aws.kms_key_arn}
    for name, rule in CLUSTER_FACTS.items():
        value = getattr(aws, name)
        if value is not None:
            key = setting_name("aws", (AwsSettings.model_fields[name].alias or name,))
            optional[name] = setting_input(settings, value, key, rule)
    args.update({key: value for key, value in optional.items() if value is not None})  # type: ignore[typeddict-item]
    return args
