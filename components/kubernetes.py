"""Label Studio on Kubernetes: namespace, the storage credentials Secret and the Helm release.

Cloud-agnostic: it consumes StorageFacts only.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import chart_values
from components.env_list import label_studio_environment
from components.facts import StorageFacts
from components.settings import Settings


class LabelStudioRelease(pulumi.ComponentResource):
    """The chart, wired to the storage: persistence block, service accounts and credentials.

    A helm.v3.Release (not a client-side Chart) renders in the cluster, so the chart's lookup
    finds its Django SECRET_KEY and keeps it instead of generating a new one on every update.
    """

    def __init__(
        self,
        name: str,
        settings: Settings,
        facts: StorageFacts,
        secret_user_values: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("labelstudio:kubernetes:LabelStudio", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = {"app.kubernetes.io/part-of": "label-studio", "app.kubernetes.io/managed-by": "pulumi"}

        namespace: pulumi.Input[str] = settings.namespace
        if settings.create_namespace:
            created = k8s.core.v1.Namespace(
                f"{name}-namespace", metadata={"name": settings.namespace, "labels": labels}, opts=child
            )
            namespace = created.metadata.name

        credentials = {credential.chart_key: credential.value for credential in facts.credentials}
        depends_on: list[pulumi.Resource] = list(facts.ready)
        secret_name: str | None = None
        secret_keys: dict[str, str] = {}
        if credentials and settings.credentials == "secret":
            secret_name = f"{settings.release}-storage-credentials"
            secret_keys = {credential.chart_key: credential.secret_key for credential in facts.credentials}
            secret = k8s.core.v1.Secret(
                f"{name}-storage-credentials",
                metadata={"name": secret_name, "namespace": namespace, "labels": labels},
                type="Opaque",
                string_data={credential.secret_key: credential.value for credential in facts.credentials},
                opts=child,
            )
            depends_on.append(secret)

        values: dict[str, Any] = chart_values.label_studio_values(
            persistence=chart_values.persistence_values(
                facts.persistence_type,
                facts.persistence_config,
                credentials,
                settings.credentials if credentials else None,
                secret_name,
                secret_keys,
            ),
            service_accounts=settings.service_account_names,
            annotations=facts.service_account_annotations,
            environment=label_studio_environment(facts.environment, settings.host),
            enterprise=settings.enterprise,
            user_values=_secret_leaves(settings.helm_values) if secret_user_values else settings.helm_values,
        )
        # Secret leaves stay secret in the state's inputs; the provider echoes `values` back as
        # an output, which must be secret too or inline keys land in plain text (pulumi-kubernetes#2003).
        holds_secrets = secret_user_values or (bool(credentials) and settings.credentials == "inline")
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=settings.release,
            chart=chart_values.CHART_NAME,
            version=settings.chart_version,
            repository_opts={"repo": chart_values.CHART_REPOSITORY},
            namespace=namespace,
            values=values,
            max_history=10,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=depends_on,
                additional_secret_outputs=["values"] if holds_secrets else None,
            ),
        )
        self.namespace = namespace
        self.release_name = self.release.name
        self.register_outputs({"releaseName": self.release.name, "namespace": namespace})


def _secret_leaves(values: Any) -> Any:
    """Every scalar of `values` as a Pulumi secret, the structure left readable."""
    if isinstance(values, dict):
        return {key: _secret_leaves(value) for key, value in values.items()}
    if isinstance(values, list):
        return [_secret_leaves(value) for value in values]
    return pulumi.Output.secret(values)
