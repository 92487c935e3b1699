"""What a query-signed (presigned) link's signature covers, for the stand-ins that check links.

AWS SigV4 and Google's V4 build the string to sign the same way: a canonical request (method,
path, sorted query without the signature, the signed headers), hashed, under the algorithm, the
date and the credential scope. Only the key differs: an HMAC chain from the secret on AWS, the
service account's RSA key on Google Cloud.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import quote


def string_to_sign(
    algorithm: str,
    method: str,
    path: str,
    pairs: Iterable[tuple[str, str]],
    signature_field: str,
    canonical_headers: str,
    signed_headers: str,
    date: str,
    scope: str,
) -> str:
    """The string a query-signed request's signature covers, with an unsigned payload."""
    canonical_query = "&".join(
        f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}"
        for name, value in sorted(pairs)
        if name != signature_field
    )
    canonical_request = "\n".join(
        [method, path, canonical_query, canonical_headers, signed_headers, "UNSIGNED-PAYLOAD"]
    )
    return "\n".join([algorithm, date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])


def sigv4_signature(secret: str, scope: str, to_sign: str) -> str:
    """The SigV4 signature of `to_sign`: the signing key derived from `secret` through each part of the scope."""
    key = f"AWS4{secret}".encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
