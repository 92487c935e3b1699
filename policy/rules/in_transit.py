"""tls-only: storage refuses requests without TLS 1.2 or newer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .at_rest import _s3_inline
from .model import UNKNOWN, Resource
from .reading import _as_list, _bucket_companions, _document_statements, _get, _glob, _of, _public_principal, _strings
from .resource_types import AZURE_ACCOUNT, CLASSIC_ACCOUNT, S3_BUCKET_POLICY, S3_BUCKETS


def _covers(patterns: Sequence[str], arn: str) -> bool:
    return any(_glob(pattern).fullmatch(arn) for pattern in patterns)


def _denies_plain_http(statement: Mapping[str, Any]) -> list[str]:
    """The resources on which a statement denies every S3 action to everyone without TLS."""
    if str(statement.get("Effect")).lower() != "deny" or not _public_principal(statement):
        return []
    condition = statement.get("Condition") or {}
    operators = [_get(condition, operator) for operator in ("Bool", "BoolIfExists")]
    secure = [
        str(value).lower()
        for operator in operators
        if isinstance(operator, Mapping)
        for key, values in operator.items()
        if str(key).lower() == "aws:securetransport"
        for value in _as_list(values)
    ]
    if secure != ["false"] or not any(a.lower() in ("*", "s3:*") for a in _strings(statement.get("Action"))):
        return []
    return _strings(statement.get("Resource"))


def _covers_bucket(patterns: Sequence[str], bucket_arns: Sequence[str]) -> bool:
    """Whether the ARN patterns match the bucket and every key in it (probed with a few keys)."""
    return any(
        _covers(patterns, arn) and all(_covers(patterns, f"{arn}/{key}") for key in ("", "k", "deep/key.json"))
        for arn in bucket_arns
    )


def _bucket_arns(bucket: Resource, patterns: Sequence[str]) -> list[str]:
    """The ARNs the bucket may have: its own, or, before it is known, its name in each partition
    the patterns name (the pack keeps no list of partitions to fall behind AWS's); a name still
    unknown matches only a wildcard."""
    arn, name = bucket.props.get("arn"), bucket.props.get("bucket")
    if isinstance(arn, str):
        return [arn]
    name = name if isinstance(name, str) else "\x00unknown-bucket"
    partitions = {"aws"} | {pattern.split(":")[1] for pattern in patterns if pattern.count(":") >= 5}
    return [f"arn:{partition}:s3:::{name}" for partition in sorted(partitions)]


def tls_only(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    for bucket in _of(resources, *S3_BUCKETS):
        documents = [p.props.get("policy") for p in _bucket_companions(resources, (S3_BUCKET_POLICY,), bucket)]
        if UNKNOWN in documents:
            continue  # its own policy, written once the bucket's ARN is known
        documents += _s3_inline(bucket, "policy")
        statements = [s for d in documents for s in _document_statements(d) if not isinstance(s, str)]
        denied = [target for s in statements for target in _denies_plain_http(s)]
        if not _covers_bucket(denied, _bucket_arns(bucket, denied)):
            yield bucket.name, "has no bucket policy of its own denying all requests without TLS (aws:SecureTransport)"
    for account in _of(resources, AZURE_ACCOUNT):
        if account.props.get("enableHttpsTrafficOnly") is False:
            yield account.name, "accepts plain HTTP"
        version = account.props.get("minimumTlsVersion")
        if version not in ("TLS1_2", "TLS1_3"):
            accepts = f"accepts {version}" if isinstance(version, str) else "does not set minimumTlsVersion"
            yield account.name, f"{accepts}; require TLS1_2 or newer"
    for account in _of(resources, CLASSIC_ACCOUNT):
        if False in (account.props.get("httpsTrafficOnlyEnabled"), account.props.get("enableHttpsTrafficOnly")):
            yield account.name, "accepts plain HTTP"
        # The classic provider's default is TLS1_2.
        if account.props.get("minTlsVersion") not in ("TLS1_2", "TLS1_3", None):
            yield account.name, f"accepts {account.props.get('minTlsVersion')}; require TLS1_2 or newer"
