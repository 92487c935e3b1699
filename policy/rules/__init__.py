"""What this project promises about storage, as plain functions over a stack's resources.

The same rules run in three places: the Pulumi policy pack beside this package (`pulumi preview
--policy-pack policy`), the credential-free plan, and the tests. Each area's rules have a module:
public_access, at_rest, in_transit, iam, credentials and reviewed; model, resource_types and
reading hold what they share. Each rule looks at the whole
stack, because several promises span resources (a bucket and its public-access block), and
returns violations. Promises hold per bucket, account and role: a companion resource counts
only for the bucket or account it names, by value or by reference.

The pack fails closed: a storage, IAM or access-control resource type that no rule reads is a
violation of its own (`resources-reviewed`). A value the engine does not know yet during a
preview (UNKNOWN here) in a companion or a grant never counts as a violation on its own; a value
that is absent does. The hardening settings of a bucket or account itself must be declared
literally: the providers compute them when they are not set, so in a preview an unknown one
cannot be told from one left at an unsafe default.
"""

from __future__ import annotations

from collections.abc import Sequence

from .at_rest import encryption_at_rest, versioning_or_soft_delete
from .credentials import CREDENTIAL_CHART_KEYS, is_credential, no_plain_credentials_in_helm_values
from .iam import iam_scoped_to_the_bucket, oidc_trust_pinned
from .in_transit import tls_only
from .model import UNKNOWN, Check, Policy, Resource, Violation
from .public_access import no_public_storage
from .reviewed import is_guarded_type, resources_reviewed, storage_protected

__all__ = [
    "CREDENTIAL_CHART_KEYS",
    "POLICIES",
    "UNKNOWN",
    "Check",
    "Policy",
    "Resource",
    "Violation",
    "evaluate",
    "is_credential",
    "is_guarded_type",
]


POLICIES: tuple[Policy, ...] = (
    Policy("no-public-storage", "No bucket, container or object can be made public.", no_public_storage),
    Policy("encryption-at-rest", "Storage is encrypted at rest.", encryption_at_rest),
    Policy("tls-only", "Storage refuses requests without TLS 1.2 or newer.", tls_only),
    Policy("versioning-or-soft-delete", "Overwritten or deleted objects stay recoverable.", versioning_or_soft_delete),
    Policy("iam-scoped-to-the-bucket", "IAM grants name one bucket and no wildcard actions.", iam_scoped_to_the_bucket),
    Policy(
        "oidc-trust-pinned", "Federated trust names exact service accounts and the STS audience.", oidc_trust_pinned
    ),
    Policy(
        "no-plain-credentials-in-helm-values",
        "Credentials in Helm values are kept secret, never in plain environment variables.",
        no_plain_credentials_in_helm_values,
    ),
    Policy(
        "storage-protected", "Buckets, accounts, containers and keys are protected from deletion.", storage_protected
    ),
    Policy(
        "resources-reviewed",
        "Every storage, IAM and access-control resource is of a type these rules review.",
        resources_reviewed,
    ),
)


def evaluate(resources: Sequence[Resource], policies: Sequence[Policy] = POLICIES) -> list[Violation]:
    return [Violation(p.name, name, message) for p in policies for name, message in p.check(resources)]
