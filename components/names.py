"""Name and format rules every cloud shares: origins and URLs as browsers send them, folders
(key prefixes) and Kubernetes names. Pure functions: each returns why a value is refused (a
phrase that follows the setting's name), or None.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import SplitResult, urlsplit

# Every pattern is matched against the whole value (fullmatch) with ASCII classes: `^...$` with
# re.match accepts a trailing newline, and \w or \d accept letters and digits of any script.
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", re.ASCII)
IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}", re.ASCII)
_FOLDER_SEGMENT = re.compile(r"[A-Za-z0-9_.-]+", re.ASCII)
_HOST_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"{_HOST_LABEL}(\.{_HOST_LABEL})*", re.ASCII)
DEFAULT_PORTS = {"http": 80, "https": 443}
ORIGIN_EXAMPLE = "e.g. https://label.example.com"


def web_address(url: str) -> tuple[SplitResult, str] | str:
    """`url` split, with the origin a browser sends for it; or why no browser would load it.

    The origin is `scheme://host[:port]`, lowercase, with the host in punycode and without the
    scheme's default port. A reason never repeats the URL: it may carry a password.
    """
    if any(char.isspace() or unicodedata.category(char).startswith("C") for char in url):
        return "contains a space, line break or control character; remove it"
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"is not an origin or URL; write http(s)://host[:port], {ORIGIN_EXAMPLE}"
    if parts.scheme not in DEFAULT_PORTS or not parts.netloc:
        return f"is not an origin or URL; write http(s)://host[:port] with http or https, {ORIGIN_EXAMPLE}"
    if "@" in parts.netloc:
        return (
            "carries credentials (user:password@ before the host), which browsers never send and which "
            "must not sit in stack settings; remove them"
        )
    host_text, colon, port_text = parts.netloc.rpartition(":") if not parts.netloc.endswith("]") else ("", "", "")
    if not colon or "]" in port_text:
        host_text, port_text = parts.netloc, ""
    host, problem = _browser_host(host_text)
    if problem:
        return problem
    port = int(port_text) if port_text.isascii() and port_text.isdigit() else None
    shown_port = "" if port in (None, DEFAULT_PORTS[parts.scheme]) else f":{port}"
    origin = f"{parts.scheme}://{host}{shown_port}"
    if not host_text.isascii():
        return f"has a non-ASCII host name, which browsers send in punycode; write {origin}"
    if colon and not port_text:
        return f"has a ':' after the host without a port number; write {origin} or add the port"
    if colon and port is None:
        return "has a port that is not a number; use a port from 1 to 65535"
    if port is not None and not 1 <= port <= 65535:
        return f"has port {port}, which no browser can reach; use a port from 1 to 65535"
    if port is not None and port_text != str(port):
        return f"writes the port with a leading zero, which browsers drop; write {origin}"
    return parts, origin


def _browser_host(text: str) -> tuple[str, str | None]:
    """The host as browsers send it (lowercase, punycode, IPv6 in brackets), and any problem."""
    if text.startswith("[") and text.endswith("]"):
        try:
            return f"[{ipaddress.IPv6Address(text[1:-1]).compressed}]", None
        except ValueError:
            return "", "has an invalid IPv6 address between the brackets"
    host = text.lower()
    if not host.isascii():
        try:
            punycode = host.encode("idna").decode("ascii")
        except UnicodeError:
            return "", "has a host name that is not a valid internationalised domain name"
        return punycode, None
    if len(host) > 253 or not _HOSTNAME.fullmatch(host):
        return "", "has an invalid host name; use letters, digits, '-' and '.' between labels"
    if all(label.isdigit() for label in host.split(".")):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return "", "has an invalid IPv4 address as its host"
    return host, None


def origin_problem(origin: str) -> str | None:
    """Why `origin` is not exactly what a browser sends in its Origin header, or None.

    Storage compares origins as strings, so anything else would never match: it is refused
    with the spelling to use rather than rewritten behind the user's back.
    """
    if "*" in origin:
        return f"wildcards are not allowed; list each origin that may upload, {ORIGIN_EXAMPLE}"
    address = web_address(origin)
    if isinstance(address, str):
        return address
    parts, canonical = address
    if parts.query or parts.fragment or parts.path not in ("", "/"):
        return f"is not an origin: an origin has no path, query or fragment; did you mean {canonical}?"
    if origin != canonical:
        return f"is not written the way browsers send it, so it would never match; write {canonical}"
    return None


def folder_problem(folder: str) -> str | None:
    """Why `folder` is not a clean key prefix, or None."""
    if folder == "":
        return None
    if len(folder) > 512:
        return "is longer than 512 characters"
    inner = folder.strip("/")
    for segment in inner.split("/"):
        if segment in ("", ".", ".."):
            return "must be path segments joined by single '/', without '.' or '..' segments"
        if not _FOLDER_SEGMENT.fullmatch(segment):
            return "may only contain letters, digits, '-', '_' and '.', with '/' between segments"
    if inner != folder:
        return f"must not start or end with '/'; write {inner!r}"
    return None


def dns_label_problem(value: str, limit: int = 63) -> str | None:
    """Why `value` is not a Kubernetes name of at most `limit` characters, or None."""
    if len(value) > limit or not DNS_LABEL.fullmatch(value):
        return (
            f"must be a Kubernetes name: at most {limit} lowercase letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return None


def url_may_hold_password(url: str) -> bool:
    """A URL with '@' may carry user:password; it is then never repeated in a message."""
    return "@" in url


# Another stack, as `pulumi.StackReference` names it: `<organization>/<project>/<stack>` (or
# `<project>/<stack>` or `<stack>` within this organization and project).
_STACK_PART = r"[A-Za-z0-9_.-]{1,100}"
_STACK_NAME = re.compile(rf"({_STACK_PART}/){{0,2}}{_STACK_PART}", re.ASCII)
_OUTPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,127}", re.ASCII)


def stack_name_problem(name: str) -> str | None:
    """Why `name` cannot name another stack, or None."""
    if _STACK_NAME.fullmatch(name):
        return None
    return (
        "is not a stack name; write <organization>/<project>/<stack>, e.g. acme/eks/prod "
        "(letters, digits, '-', '_' and '.' between the slashes)"
    )


def output_name_problem(name: str) -> str | None:
    """Why `name` cannot be a stack output's name, or None."""
    if _OUTPUT_NAME.fullmatch(name):
        return None
    return (
        "is not a stack output name; use a name `pulumi stack output` lists for that stack, e.g. "
        "oidcProviderArn (letters, digits, '_' and '-', starting with a letter)"
    )
