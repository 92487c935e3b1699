"""Azure Blob Storage for Label Studio: a hardened premium account, one container, and its shared key.

Label Studio reads Azure storage only with the account's shared key (it has no managed-identity
path), so shared-key access must stay on. Every other protection Azure offers for such an
account is switched on here instead, where no stack can forget one.
"""

import hashlib
import re
from collections.abc import Mapping
from typing import Any, TypedDict, cast

import pulumi
from pulumi_azure_native import resources, storage
from typing_extensions import NotRequired

from components.argument_checks import (
    adopt_needs_plain,
    checked_arguments,
    derived,
    holds_output,
    own_list,
    refuse_problems,
    storage_problems,
)
from components.arguments import STORAGE_MODES, ArgumentProblem, about
from components.azure.adoption import (
    blob_container_id,
    blob_service_id,
    sku_note,
    storage_account_id,
    subscription_id_problem,
)
from components.azure.settings import azure_container_problem
from components.facts import StorageComponent, StorageConnection, StorageFacts, TrustedWorkloads
from components.storage_defaults import CORS_MAX_AGE_SECONDS, CORS_METHODS, storage_tags

# Today's type token: stacks created before the package keep their URNs (no alias needed).
TYPE_TOKEN = "labelstudio:azure:Storage"

# Premium block blobs sit on SSDs. Label Studio's guide warns that on HDD-backed (Standard)
# accounts it may be too slow and malfunction.
SKU = "Premium_LRS"
KIND = "BlockBlobStorage"

# A browser's upload to a SAS URL is a Put Blob carrying `x-ms-blob-type` (always) and
# `x-ms-blob-content-type`; a preflight naming a header the rule lacks is refused. The
# `x-ms-*` prefix covers the SDK's other headers (x-ms-version, x-ms-client-request-id...).
CORS_ALLOWED_HEADERS = ["x-ms-blob-type", "x-ms-blob-content-type", "content-type", "x-ms-*"]
CORS_EXPOSED_HEADERS = ["x-ms-*"]
# Label Studio signs its URLs for urlExpirationSecs (chart default 86400 s); longer SAS tokens
# are logged, not blocked, so a raised expiry in helmValues never breaks Label Studio.
SAS_EXPIRATION_PERIOD = "1.00:00:00"
# Azure flags the keys for rotation after this many days; it never disables them.
KEY_EXPIRATION_DAYS = 90

_NOT_ACCOUNT_CHARACTERS = re.compile(r"[^a-z0-9]")
ACCOUNT_HASH_LENGTH = 8
ACCOUNT_NAME_LIMIT = 24
RESOURCE_GROUP_LIMIT = 90
# Arguments a program may compute from other resources: Python name, schema name.
COMPUTED_ARGUMENTS = {
    "container": "container",
    "location": "location",
    "cors_origins": "corsOrigins",
    "resource_group": "resourceGroup",
    "storage_account": "storageAccount",
    "allowed_ip_ranges": "allowedIpRanges",
    "allowed_subnet_ids": "allowedSubnetIds",
}
# What storage adopt imports by ARM ids holding these names: Python name, (schema name, what for).
_ADOPTED_BY = "the account, its blob service and the container by ARM ids that hold this name"
_ADOPT_NAMES = {
    "resource_group": ("resourceGroup", _ADOPTED_BY),
    "storage_account": ("storageAccount", _ADOPTED_BY),
    "container": ("container", _ADOPTED_BY),
}


def adopt_problems(args: Mapping[str, Any]) -> list[ArgumentProblem]:
    """Storage adopt imports by ARM ids that hold the group's, account's and container's names."""
    return adopt_needs_plain(args, _ADOPT_NAMES)


def default_storage_account_name(project: str, stack: str) -> str:
    """A valid, stable and most likely globally unique account name for this project and stack.

    Account names are global across Azure, 3-24 lowercase letters and digits. The readable part
    is the project and stack with everything else dropped; a hash of the exact project/stack
    pair keeps stacks that read alike ("Dev", "dev", "d-ev") apart and other tenants' accounts
    unlikely to clash. It depends on nothing but the two names, so it never changes under a stack.
    """
    digest = hashlib.sha256(f"{project}/{stack}".encode()).hexdigest()[:ACCOUNT_HASH_LENGTH]
    readable = _NOT_ACCOUNT_CHARACTERS.sub("", f"{project}{stack}".lower())
    return readable[: ACCOUNT_NAME_LIMIT - ACCOUNT_HASH_LENGTH] + digest


def default_resource_group_name(project: str, stack: str) -> str:
    """The resource group created when none is given: named after the project and stack.

    Stack names (letters, digits, '-', '_', '.') are valid in group names, which only must not
    end with '.' and stay within 90 characters.
    """
    return f"{project}-{stack}"[:RESOURCE_GROUP_LIMIT].rstrip(".")


def network_rule_set(allowed_ip_ranges: list[str], allowed_subnet_ids: list[str]) -> storage.NetworkRuleSetArgsDict:
    """Open to all networks when no rule is given (the cluster must reach the account), else only the rules.

    AzureServices stays bypassed so trusted Azure services (backup, monitoring) keep working.
    """
    if not allowed_ip_ranges and not allowed_subnet_ids:
        return {"default_action": storage.DefaultAction.ALLOW, "bypass": storage.Bypass.AZURE_SERVICES}
    return {
        "default_action": storage.DefaultAction.DENY,
        "bypass": storage.Bypass.AZURE_SERVICES,
        "ip_rules": [{"i_p_address_or_range": ip, "action": storage.Action.ALLOW} for ip in allowed_ip_ranges],
        "virtual_network_rules": [
            {"virtual_network_resource_id": subnet, "action": storage.Action.ALLOW} for subnet in allowed_subnet_ids
        ],
    }


class AzureStorageArgs(TypedDict):
    """What AzureStorage needs: the container, where it lives and who may reach the account."""

    container: pulumi.Input[str]
    """Name of the blob container to create; may come from another resource (checked once known),
    except with storage adopt (the import id names it, so it must be known before the deployment starts)."""
    location: pulumi.Input[str]
    """Azure location of the account (and of the resource group when one is created); may come from
    another resource, e.g. a resource group's location."""
    cors_origins: pulumi.Input[list[str]]
    """Origins (scheme://host[:port]) whose browsers may read and upload, e.g. Label Studio's URL;
    may come from another resource (each is checked once known)."""
    folder: NotRequired[str]
    """Blob name prefix Label Studio uses; empty for the whole container."""
    retention_days: NotRequired[int]
    """Days a deleted or overwritten blob (and a deleted container) stays recoverable (default 30)."""
    protect: NotRequired[bool]
    """Protect the group, account and container from deletion and replacement (default true). Plain: a
    resource option."""
    resource_group: NotRequired[pulumi.Input[str]]
    """Existing resource group; one named after the project and stack is created when absent. May come
    from another resource (a resource group's name), except with storage adopt (the import ids name it);
    given as an output, it must not resolve to an empty name (whether a group is created is decided
    before the deployment starts)."""
    storage_account: NotRequired[pulumi.Input[str]]
    """Storage account name (3-24 lowercase letters and digits); derived from project and stack when
    absent or empty. May come from another resource, except with storage adopt (the import ids name it)."""
    allowed_ip_ranges: NotRequired[pulumi.Input[list[str]]]
    """Public IPv4 addresses or CIDR ranges let through the account's firewall (all networks without
    rules); may come from another resource, e.g. a NAT gateway's public IP."""
    allowed_subnet_ids: NotRequired[pulumi.Input[list[str]]]
    """Virtual network subnets allowed through the account's firewall; may come from another
    resource, e.g. a subnet's id."""
    trusted_workloads: NotRequired[TrustedWorkloads]
    """Unused: Label Studio reaches Azure only with the account key. Accepted like on every cloud.
    Plain: each service account names a resource."""
    storage: NotRequired[str]
    """create (default); existing: use the account and container as they are; adopt: import them, then
    harden them. Plain: it decides which resources exist."""
    manage_cors: NotRequired[bool]
    """Replace the account's Blob CORS rules with the origins' rule (default: true only when creating).
    Plain: it decides whether the CORS rules are declared."""
    subscription_id: NotRequired[str]
    """The existing account's subscription (storage adopt), for the ids the resources are imported by.
    Plain: an import id must be known before the deployment starts."""


def azure_storage_problems(args: AzureStorageArgs) -> list[ArgumentProblem]:
    """What in `args` AzureStorage cannot build, each naming the argument and the fix."""
    problems = storage_problems(args, "container", azure_container_problem)
    mode = args.get("storage", "create")
    if mode not in STORAGE_MODES:
        return problems  # named by storage_problems; the checks below assume a known mode
    if mode != "create":
        problems += [
            about(key, f"storage {mode} needs the existing account's {what}", ": ")
            for key, what in (("storageAccount", "name"), ("resourceGroup", "resource group"))
            if not args.get("storage_account" if key == "storageAccount" else "resource_group")
        ]
    if mode == "existing" and args.get("manage_cors"):
        problems.append(
            about(
                "manageCors",
                "the account's CORS rules are part of its blob service, which storage existing leaves "
                "alone; use storage adopt to manage them",
                ": ",
            )
        )
    if mode == "adopt":
        subscription = args.get("subscription_id") or ""
        found = subscription_id_problem(subscription) if subscription else "is not set"
        if found:
            problems.append(
                about(
                    "subscriptionId",
                    f"{subscription!r} {found}: storage adopt imports the account by an id that "
                    "names its subscription; run `pulumi config set azure-native:subscriptionId <subscription-id>` "
                    "(`az account show --query id -o tsv` prints it)",
                )
            )
    return problems


class AzureStorage(StorageComponent):
    """The storage account, its container, blob-service protection and the shared key Label Studio needs."""

    storage_account_name: pulumi.Output[str]
    """Name of the storage account."""
    container_name: pulumi.Output[str]
    """Name of the blob container."""
    resource_group_name: pulumi.Output[str]
    """Resource group that holds the account."""
    blob_endpoint: pulumi.Output[str]
    """The account's blob endpoint URL."""
    account_key: pulumi.Output[str]
    """The account's first shared key, which Label Studio authenticates and signs URLs with. Secret."""
    connection: StorageConnection
    """What Label Studio needs to reach the storage: give it to LabelStudioRelease as `storage`."""
    argument_problems = staticmethod(azure_storage_problems)
    computed_arguments = COMPUTED_ARGUMENTS
    plain_problems = staticmethod(adopt_problems)
    SECRET_OUTPUTS = ("account_key",)

    def __init__(self, name: str, args: AzureStorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE_TOKEN, name, None, opts)
        mode = args.get("storage", "create")
        refuse_problems("AzureStorage", name, self.plain_problems(args))
        # Decided before the deployment starts, from the arguments as given: whether a group is
        # created (no group given), and the names storage adopt imports by (plain, as just checked).
        creates_group = not (holds_output(args.get("resource_group")) or args.get("resource_group"))
        ids = self._import_ids(mode, cast(Mapping[str, Any], args))
        # Only where a missing group would have been created: elsewhere today's check names it.
        group_computed = mode == "create" and holds_output(args.get("resource_group"))

        def problems_of(values: AzureStorageArgs) -> list[ArgumentProblem]:
            problems = self.argument_problems(values)
            if group_computed and "resource_group" in values and not values["resource_group"]:
                problems.append(about("resourceGroup", GROUP_COMPUTED_EMPTY, ": "))
            return problems

        args = cast(AzureStorageArgs, checked_arguments("AzureStorage", name, args, problems_of, COMPUTED_ARGUMENTS))
        self._args = args
        location, folder, container = args["location"], args.get("folder", ""), args["container"]
        retention_days, protect = args.get("retention_days", 30), args.get("protect", True)
        # What this stack adopts it protects, whatever labelstudio:protect says.
        protect = protect or args.get("storage") == "adopt"
        project, stack = pulumi.get_project(), pulumi.get_stack()
        # The account and container hold the data, and a created group holds the account: all
        # three are protected, like the S3 bucket, from deletion and replacement.
        keep = pulumi.ResourceOptions(parent=self, protect=protect)
        # The account's protection settings stay on it when they leave the stack (for example
        # `pulumi destroy --exclude-protected`), so a kept account keeps soft delete and CORS.
        self._hardening = pulumi.ResourceOptions(parent=self, retain_on_delete=protect)
        tags = storage_tags(stack)

        manage_cors = args.get("manage_cors", mode == "create")
        resource_group_name: pulumi.Input[str]
        if not creates_group:
            resource_group_name = args["resource_group"]
        else:
            group = resources.ResourceGroup(
                f"{name}-resource-group",
                resource_group_name=default_resource_group_name(project, stack),
                location=location,
                tags=tags,
                opts=keep,
            )
            resource_group_name = group.name
        account_name_in = _or_default(args.get("storage_account"), default_storage_account_name(project, stack))

        ready: list[pulumi.Resource] = []
        if mode == "existing":
            # Used as is: read, never declared, so no step of this stack can change or delete it.
            existing = storage.get_storage_account_output(
                account_name=account_name_in,
                resource_group_name=resource_group_name,
                opts=pulumi.InvokeOutputOptions(parent=self),
            )
            account_ref: pulumi.Input[str] = existing.name
            blob_endpoint = existing.primary_endpoints.blob
            location_out: pulumi.Input[str] = existing.location
            container_ref: pulumi.Input[str] = container
        else:
            self.account = self._declare_account(name, account_name_in, resource_group_name, ids, tags)
            self.blob_service = self._declare_blob_service(name, resource_group_name, manage_cors, ids)
            if mode == "create":
                # On an adopted account its own lifecycle policy (a singleton) is left in place.
                self._expire_previous_versions(name, resource_group_name, container, retention_days)
            # Through the management plane, so the data-plane firewall never stands in the way.
            self.container = storage.BlobContainer(
                f"{name}-container",
                account_name=self.account.name,
                resource_group_name=resource_group_name,
                container_name=container,
                public_access=storage.PublicAccess.NONE,
                opts=pulumi.ResourceOptions.merge(keep, self._adopting(ids.get("container"))),
            )
            account_ref, blob_endpoint = self.account.name, self.account.primary_endpoints.blob
            location_out, container_ref = self.account.location, self.container.name
            ready = [self.container, self.blob_service]

        keys = storage.list_storage_account_keys_output(
            account_name=account_ref,
            resource_group_name=resource_group_name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        account_key: pulumi.Output[str] = pulumi.Output.secret(keys.keys[0].value)
        # The account's name is no secret: it is in every blob URL and in the outputs (storageAccountName).
        account_name: pulumi.Output[str] = pulumi.Output.from_input(account_ref)

        storage_facts = StorageFacts(
            storage_type="azure",
            settings={"container": container, "folder": folder},
            credentials={"account_name": account_name, "account_key": account_key},
            exports={
                "bucketName": container_ref,
                "containerName": container_ref,
                "storageAccountName": account_ref,
                "resourceGroupName": resource_group_name,
                "location": location_out,
                "blobEndpoint": blob_endpoint,
                "folder": folder,
                "corsOrigins": own_list(args["cors_origins"]),
            },
            ready=ready,
        )
        self.storage_account_name = pulumi.Output.from_input(account_ref)
        self.container_name = pulumi.Output.from_input(container_ref)
        self.resource_group_name = pulumi.Output.from_input(resource_group_name)
        self.blob_endpoint = blob_endpoint
        self.account_key = account_key
        self._conclude(storage_facts)

    @staticmethod
    def _import_ids(mode: str, args: Mapping[str, Any]) -> dict[str, str]:
        """The ARM ids of the account, its blob service and the container to import (adopt), else none.

        Built from the arguments as given, plain with storage adopt (see adopt_problems); used
        only once they pass the check, as the resources they import wait for it.
        """
        if mode != "adopt":
            return {}
        subscription, group = args.get("subscription_id") or "", args.get("resource_group") or ""
        account = args.get("storage_account") or default_storage_account_name(pulumi.get_project(), pulumi.get_stack())
        container = args.get("container") or ""
        return {
            "account": storage_account_id(subscription, group, account),
            "blob_service": blob_service_id(subscription, group, account),
            "container": blob_container_id(subscription, group, account, container),
        }

    @staticmethod
    def _adopting(import_id: str | None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(import_=import_id) if import_id else pulumi.ResourceOptions()

    def _declare_account(
        self,
        name: str,
        account_name: pulumi.Input[str],
        resource_group_name: pulumi.Input[str],
        ids: dict[str, str],
        tags: dict[str, str],
    ) -> storage.StorageAccount:
        """The account, created Premium block blob with every protection, or adopted as it is where a
        change would replace it (SKU, kind, location, encryption chosen at creation, tags it has), and
        hardened in every setting Azure changes in place."""
        args = self._args
        hardening: dict[str, Any] = {
            # Required: Label Studio authenticates with the account key and signs SAS URLs with it.
            "allow_shared_key_access": True,
            "enable_https_traffic_only": True,
            "minimum_tls_version": storage.MinimumTlsVersion.TLS1_2,
            "allow_blob_public_access": False,
            "allow_cross_tenant_replication": False,
            "sas_policy": {
                "sas_expiration_period": SAS_EXPIRATION_PERIOD,
                "expiration_action": storage.ExpirationAction.LOG,
            },
            "key_policy": {"key_expiration_period_in_days": KEY_EXPIRATION_DAYS},
        }
        ip_ranges: pulumi.Input[list[str]] = args.get("allowed_ip_ranges", [])
        subnets: pulumi.Input[list[str]] = args.get("allowed_subnet_ids", [])
        keep = pulumi.ResourceOptions(parent=self, protect=args.get("protect", True) or bool(ids))
        if ids:
            existing = storage.get_storage_account_output(
                account_name=account_name,
                resource_group_name=resource_group_name,
                opts=pulumi.InvokeOutputOptions(parent=self),
            )
            pulumi.Output.all(existing.sku.name, existing.kind).apply(lambda found: self._note_sku(*found))
            return storage.StorageAccount(
                f"{name}-account",
                account_name=account_name,
                resource_group_name=resource_group_name,
                location=existing.location,
                sku={"name": existing.sku.name},
                kind=existing.kind,
                # Its firewall stays as it is unless this stack is given rules.
                network_rule_set=_firewall(ip_ranges, subnets, adopted=True),
                **hardening,
                opts=pulumi.ResourceOptions.merge(keep, self._adopting(ids["account"])),
            )
        return storage.StorageAccount(
            f"{name}-account",
            account_name=account_name,
            resource_group_name=resource_group_name,
            location=args["location"],
            sku={"name": SKU},
            kind=KIND,
            public_network_access=storage.PublicNetworkAccess.ENABLED,
            network_rule_set=_firewall(ip_ranges, subnets, adopted=False),
            # Premium block blob accounts support infrastructure (double) encryption; it can only
            # be chosen when the account is created.
            encryption={
                "key_source": storage.KeySource.MICROSOFT_STORAGE,
                "require_infrastructure_encryption": True,
                "services": {"blob": {"enabled": True, "key_type": storage.KeyType.ACCOUNT}},
            },
            allowed_copy_scope=storage.AllowedCopyScope.AAD,
            default_to_o_auth_authentication=True,
            is_local_user_enabled=False,
            is_sftp_enabled=False,
            is_hns_enabled=False,
            enable_nfs_v3=False,
            tags=tags,
            **hardening,
            opts=keep,
        )

    def _note_sku(self, sku: str, kind: str) -> None:
        note = sku_note(sku, kind, SKU, KIND)
        if note:
            pulumi.log.warn(note, self)

    def _declare_blob_service(
        self, name: str, resource_group_name: pulumi.Input[str], manage_cors: bool, ids: dict[str, str]
    ) -> storage.BlobServiceProperties:
        """Versioning, blob and container soft delete, and (manage_cors) the CORS rules of the account's
        one blob service; on an adopted account, CORS not managed is left as it is."""
        retention_days = self._args.get("retention_days", 30)
        rule: storage.CorsRuleArgsDict = {
            "allowed_origins": own_list(self._args["cors_origins"]),
            "allowed_methods": CORS_METHODS,
            "allowed_headers": CORS_ALLOWED_HEADERS,
            "exposed_headers": CORS_EXPOSED_HEADERS,
            "max_age_in_seconds": CORS_MAX_AGE_SECONDS,
        }
        cors: storage.CorsRulesArgsDict = {"cors_rules": [rule]}
        # Premium block blob accounts support blob versioning, blob soft delete and container
        # soft delete (Azure's "Blob Storage feature support in Azure Storage accounts" table).
        return storage.BlobServiceProperties(
            f"{name}-blob-service",
            account_name=self.account.name,
            resource_group_name=resource_group_name,
            blob_services_name="default",
            is_versioning_enabled=True,
            delete_retention_policy={"enabled": True, "days": retention_days, "allow_permanent_delete": False},
            container_delete_retention_policy={"enabled": True, "days": retention_days},
            cors=cors if manage_cors else None,
            opts=pulumi.ResourceOptions.merge(
                self._hardening,
                pulumi.ResourceOptions(
                    import_=ids.get("blob_service"), ignore_changes=None if manage_cors else ["cors"]
                ),
            ),
        )

    def _expire_previous_versions(
        self, name: str, resource_group_name: pulumi.Input[str], container: pulumi.Input[str], retention_days: int
    ) -> storage.ManagementPolicy:
        """Keep versioning from growing the account forever, without cutting recovery short.

        Lifecycle rules age a previous version from when it was first written, not from when it
        was superseded, so this rule may delete a version the moment it becomes previous. Blob
        soft delete catches exactly that: a version the rule deletes stays recoverable for
        retentionDays more. Together, an overwritten or deleted blob stays recoverable for at
        least retentionDays, as on S3.
        """
        return storage.ManagementPolicy(
            f"{name}-lifecycle",
            account_name=self.account.name,
            resource_group_name=resource_group_name,
            management_policy_name="default",
            policy={
                "rules": [
                    {
                        "name": "expire-previous-versions",
                        "enabled": True,
                        "type": storage.RuleType.LIFECYCLE,
                        "definition": {
                            "filters": {"blob_types": ["blockBlob"], "prefix_match": [_container_prefix(container)]},
                            "actions": {"version": {"delete": {"days_after_creation_greater_than": retention_days}}},
                        },
                    }
                ]
            },
            opts=pulumi.ResourceOptions.merge(self._hardening, pulumi.ResourceOptions(depends_on=[self.blob_service])),
        )


GROUP_COMPUTED_EMPTY = (
    "came from another resource as an empty name; whether a resource group is created is decided before "
    "the deployment starts, so give the name of an existing group, or leave resourceGroup out to create one "
    "named after the project and stack"
)


def _or_default(account: pulumi.Input[str] | None, default: str) -> pulumi.Input[str]:
    """The account name given, or `default` when it is absent or empty, once it is known."""
    return cast(pulumi.Input[str], derived(account, lambda known: known or default))


def _container_prefix(container: pulumi.Input[str]) -> pulumi.Input[str]:
    """The lifecycle filter's prefix for the blobs of `container`: its name and a slash."""
    return cast(pulumi.Input[str], derived(container, lambda name: f"{name}/"))


def _firewall(
    ip_ranges: pulumi.Input[list[str]], subnets: pulumi.Input[list[str]], adopted: bool
) -> pulumi.Input[storage.NetworkRuleSetArgsDict] | None:
    """network_rule_set of the ranges and subnets; for an adopted account, none (its firewall stays
    as it is) when neither is given. Built once they are known when either comes from another resource."""

    def rules(known_ranges: list[str], known_subnets: list[str]) -> storage.NetworkRuleSetArgsDict | None:
        if adopted and not known_ranges and not known_subnets:
            return None
        return network_rule_set(known_ranges, known_subnets)

    if holds_output(ip_ranges) or holds_output(subnets):
        built: pulumi.Output[Any] = pulumi.Output.all(ip_ranges, subnets).apply(lambda known: rules(*known))
        return built
    return rules(cast(list[str], ip_ranges), cast(list[str], subnets))


# The storage component the registry (components/registry.py) builds for this cloud.
COMPONENT = AzureStorage
