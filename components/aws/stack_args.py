"""The stack's settings as AwsStorage's arguments (the AWS part of components/settings/component_args.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components.aws.settings import CLUSTER_FACTS, AwsSettings, oidc_provider_arn_problem, partition_problem
from components.facts import TrustedWorkloads
from components.settings.component_args import setting_input, storage_mode_args
from components.settings.model import Settings
from components.settings.problems import setting_name

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
    # An ARN read from the cluster's stack is held to the partition rule text is held to.
    rules = {
        **CLUSTER_FACTS,
        "oidc_provider_arn": lambda arn: oidc_provider_arn_problem(arn) or partition_problem(arn, aws_region),
    }
    for name, rule in rules.items():
        value = getattr(aws, name)
        if value is not None:
            key = setting_name("aws", (AwsSettings.model_fields[name].alias or name,))
            optional[name] = setting_input(settings, value, key, rule)
    args.update({key: value for key, value in optional.items() if value is not None})  # type: ignore[typeddict-item]
    return args
