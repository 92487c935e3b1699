"""Label Studio on Kubernetes: namespace, the storage credentials Secret and the Helm release.

Cloud-agnostic: it consumes a StorageConnection (StorageFacts) only.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, cast

import pulumi
import pulumi_kubernetes as k8s
from typing_extensions import NotRequired

from components.argument_checks import refuse_problems
from components.arguments import ArgumentProblem, about
from components.facts import StorageConnection, StorageFacts
from components.kubernetes import chart
from components.kubernetes.chart_source import chart_reference, chart_repository_problem, local_chart_problem
from components.label_studio import (
    DEFAULT_CHART_VERSION,
    authority_environment,
    label_studio_environment,
    release_name_problem,
    service_account_names,
    storage_environment,
)
from components.names import dns_label_problem

# Today's type token: stacks created before the package keep their URNs (no alias needed).
TYPE_TOKEN = "labelstudio:kubernetes:LabelStudio"
CREDENTIAL_STYLES = ("secret", "inline")


class LabelStudioReleaseArgs(TypedDict):
    """What the Label Studio release needs: the storage it uses, and where and how it runs."""

    storage: pulumi.Input[StorageConnection]
    """The storage component's `connection` output: persistence settings, credentials, annotations."""
    namespace: NotRequired[str]
    """Kubernetes namespace of the release (default label-studio)."""
    create_namespace: NotRequired[bool]
    """Create the namespace (default true; false when it exists already)."""
    release: NotRequired[str]
    """Helm release name (default label-studio); the chart names its service accounts after it."""
    chart_version: NotRequired[str]
    """Label Studio chart version."""
    chart_repository: NotRequired[str]
    """Where the chart comes from when not from Label Studio's repository (https://charts.heartex.com/):
    a mirror (https://, a Helm repository) or an OCI registry (oci://registry/path)."""
    chart_path: NotRequired[str]
    """A local copy of the chart instead (its folder or .tgz, relative to the program's folder), holding
    chart_version; for clusters with no way to a repository."""
    enterprise: NotRequired[bool]
    """Label Studio Enterprise, with rqworker pods (default false)."""
    credentials: NotRequired[str]
    """How storage credentials reach the chart: secret (a Kubernetes Secret) or inline. Give it when the
    storage hands out keys (access-keys, key, Azure): the release creates the Secret only then."""
    host: NotRequired[str]
    """Label Studio's public URL, passed on as LABEL_STUDIO_HOST."""
    helm_values: NotRequired[dict[str, Any]]
    """Further chart values, deep-merged under ours."""
    secret_helm_values: NotRequired[bool]
    """Treat every helmValues leaf as a secret (when they come from secret configuration)."""


def release_problems(args: LabelStudioReleaseArgs) -> list[ArgumentProblem]:
    """What in `args` the release cannot build, each naming the argument and the fix."""
    problems: list[ArgumentProblem] = []
    for key, problem_of in (("namespace", dns_label_problem), ("release", release_name_problem)):
        problem = problem_of(str(args.get(key, "label-studio")))
        if problem:
            problems.append(about(key, f"{args.get(key)!r} {problem}"))
    if args.get("credentials", "secret") not in CREDENTIAL_STYLES:
        problems.append(about("credentials", f"{args.get('credentials')!r} is not secret or inline"))
    repository, path = args.get("chart_repository"), args.get("chart_path")
    if repository is not None and (found := chart_repository_problem(repository)):
        problems.append(about("chartRepository", found))
    if repository is not None and path is not None:
        problems.append(about("chartPath", "and chartRepository are both given; the chart comes from one place"))
    if path is not None and (found := local_chart_problem(path, args.get("chart_version", DEFAULT_CHART_VERSION))):
        problems.append(about("chartPath", f"{path!r} {found}"))
    user_values = args.get("helm_values") or {}
    problems += [
        about("helmValues", p)
        for p in chart.user_values_problems(user_values, args.get("enterprise", False), args.get("host"))
    ]
    return problems


class LabelStudioRelease(pulumi.ComponentResource):
    """The chart, wired to the storage: persistence block, service accounts and credentials.

    A helm.v3.Release (not a client-side Chart) renders in the cluster, so the chart's lookup
    finds its Django SECRET_KEY and keeps it instead of generating a new one on every update.
    """

    namespace: pulumi.Output[str]
    """Namespace of the release."""
    release_name: pulumi.Output[str]
    """Name of the Helm release."""
    service_accounts: dict[str, str]
    """The chart's service accounts that reach the storage, by chart component (app, rqworker)."""
    argument_problems = staticmethod(release_problems)

    def __init__(
        self,
        name: str,
        args: LabelStudioReleaseArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        ready: Sequence[pulumi.Resource] = (),
    ):
        """`ready`: what must exist before Label Studio starts (from Python; across languages the
        storage outputs carry those dependencies)."""
        super().__init__(TYPE_TOKEN, name, None, opts)
        refuse_problems("LabelStudioRelease", name, self.argument_problems(args))
        namespace_name, release = args.get("namespace", "label-studio"), args.get("release", "label-studio")
        enterprise, style = args.get("enterprise", False), args.get("credentials")
        user_values, secret_user_values = args.get("helm_values") or {}, args.get("secret_helm_values", False)
        child = pulumi.ResourceOptions(parent=self)
        labels = {"app.kubernetes.io/part-of": "label-studio", "app.kubernetes.io/managed-by": "pulumi"}
        self.service_accounts = service_account_names(release, enterprise)

        namespace: pulumi.Input[str] = namespace_name
        if args.get("create_namespace", True):
            created = k8s.core.v1.Namespace(
                f"{name}-namespace", metadata={"name": namespace_name, "labels": labels}, opts=child
            )
            namespace = created.metadata.name

        storage = args["storage"]
        secret_name = f"{release}-storage-credentials"
        release_values = _ReleaseValues(
            enterprise=enterprise,
            host=args.get("host"),
            user_values=_secret_leaves(user_values) if secret_user_values else user_values,
            service_accounts=self.service_accounts,
        )
        depends_on: list[pulumi.Resource] = list(ready)
        values: Any
        if isinstance(storage, pulumi.Output):
            # From another language, as one output: what it holds is known only when it resolves,
            # so the Secret follows `credentials` and the values are built from the resolved facts.
            facts_output = storage.apply(StorageFacts.from_connection)
            holds_keys = style is not None
            values = facts_output.apply(lambda facts: release_values.build(facts, style, secret_name))
            secret_data: Any = facts_output.apply(_secret_data)
        else:
            facts = StorageFacts.from_connection(cast(StorageConnection, storage), ready)
            holds_keys = bool(facts.credentials)
            style = (style or "secret") if holds_keys else None
            values = release_values.build(facts, style, secret_name)
            secret_data = _secret_data(facts)
        if holds_keys and style == "secret":
            secret = k8s.core.v1.Secret(
                f"{name}-storage-credentials",
                metadata={"name": secret_name, "namespace": namespace, "labels": labels},
                type="Opaque",
                string_data=secret_data,
                opts=child,
            )
            depends_on.append(secret)

        # Secret leaves stay secret in the state's inputs; the provider echoes `values` back as
        # an output, which must be secret too or inline keys land in plain text (pulumi-kubernetes#2003).
        # Built from a storage given as one output, the values may hold anything it holds.
        holds_secrets = secret_user_values or (holds_keys and style == "inline") or isinstance(storage, pulumi.Output)
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=release,
            **chart_reference(
                args.get("chart_version", DEFAULT_CHART_VERSION), args.get("chart_repository"), args.get("chart_path")
            ),
            namespace=namespace,
            values=values,
            max_history=10,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=depends_on,
                additional_secret_outputs=["values"] if holds_secrets else None,
            ),
        )
        self.namespace = pulumi.Output.from_input(namespace)
        self.release_name = self.release.name.apply(str)
        self.register_outputs({"releaseName": self.release.name, "namespace": namespace})


@dataclass(frozen=True)
class _ReleaseValues:
    """The release's chart values, once the storage facts are known."""

    enterprise: bool
    host: str | None
    user_values: dict[str, Any]
    service_accounts: dict[str, str]

    def build(self, facts: StorageFacts, style: str | None, secret_name: str) -> dict[str, Any]:
        return chart.label_studio_values(
            persistence=self._persistence(facts, style, secret_name),
            service_accounts=self.service_accounts,
            annotations=facts.service_account_annotations,
            environment=label_studio_environment(
                {
                    **storage_environment(facts.storage_type),
                    **authority_environment(facts.trusted_authority),
                },
                self.host,
            ),
            enterprise=self.enterprise,
            user_values=self.user_values,
            volumes=chart.authority_values(facts.trusted_authority, self.enterprise),
        )

    @staticmethod
    def _persistence(facts: StorageFacts, style: str | None, secret_name: str) -> dict[str, Any]:
        settings = chart.chart_settings(facts.storage_type, facts.settings)
        if facts.credentials_secret:
            # The keys are in a Secret that exists already: the chart reads it, and nothing is created.
            their_keys = chart.chart_credentials(facts.storage_type, facts.credentials_secret["keys"])
            references = {chart_key: key for chart_key, (_, key) in their_keys.items()}
            return chart.persistence_values(
                facts.storage_type, settings, references, "secret", facts.credentials_secret["name"], references
            )
        by_chart_key = chart.chart_credentials(facts.storage_type, facts.credentials)
        credentials = {chart_key: value for chart_key, (_, value) in by_chart_key.items()}
        if credentials and style is None:
            raise ValueError(
                f"the storage hands out keys ({', '.join(facts.credentials)}): set the release's credentials "
                "to secret (a Kubernetes Secret) or inline"
            )
        by_secret = style == "secret" and bool(credentials)
        secret_keys = {chart_key: secret_key for chart_key, (secret_key, _) in by_chart_key.items()}
        return chart.persistence_values(
            facts.storage_type,
            settings,
            credentials,
            style if credentials else None,
            secret_name if by_secret else None,
            secret_keys if by_secret else {},
        )


def _secret_data(facts: StorageFacts) -> dict[str, Any]:
    """The credentials Secret's data: each credential under its key in the Secret."""
    return {
        secret_key: value
        for secret_key, value in chart.chart_credentials(facts.storage_type, facts.credentials).values()
    }


def _secret_leaves(values: Any) -> Any:
    """Every scalar of `values` as a Pulumi secret, the structure left readable."""
    if isinstance(values, dict):
        return {key: _secret_leaves(value) for key, value in values.items()}
    if isinstance(values, list):
        return [_secret_leaves(value) for value in values]
    return pulumi.Output.secret(values)
