"""Label Studio's image, as it serves stored files: its nginx in front, resolving through DNS alone.

In the image (`../shared/labelstudio-image/`), nginx listens in front of the app; Django answers a
stored file with `X-Accel-Redirect: /file_download/<scheme>/<host>/<path>?<query>`, and nginx
rebuilds the storage URL and proxies it, resolving the host at request time through its
`resolver` line: plain DNS to the nameservers of the container's /etc/resolv.conf, without
/etc/hosts and without the search list. Here:
- `ClusterDNS` is that nameserver: a UDP DNS responder on 127.0.0.1 that answers A records for
  the names a test registers, exactly as written (cluster DNS knows `<svc>.<ns>.svc.cluster.local`,
  Docker's embedded DNS knows service names), NOERROR without records for their AAAA, NXDOMAIN
  for every other name;
- `Names` also stands in for the app container's own resolver (libc: the pod's search list and
  `ndots:5`), which Label Studio's S3 client uses: a `sitecustomize` module on its PYTHONPATH
  resolves names through the same records and search list, as glibc would in the pod;
- `nginx` runs Debian's nginx with the shipped `nginx.conf`, set up as `10-configure-nginx.sh`
  does (see `configured` for every change).

The configuration comes from LABEL_STUDIO_IMAGE_DIR, or `shared/labelstudio-image` in the nearest
folder above the project (where the chart is found too).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.harness.pod import shared_folder
from tests.harness.servers import free_port, stop_process

LOOPBACK = "127.0.0.1"
POD_NDOTS = 5  # a pod's /etc/resolv.conf: `options ndots:5`


def pod_search(namespace: str) -> tuple[str, ...]:
    """A pod's search list in `namespace` (cluster domain cluster.local)."""
    return (f"{namespace}.svc.cluster.local", "svc.cluster.local", "cluster.local")


def image_dir() -> Path:
    """Where the image's nginx configuration and start-up scripts are; fails with the way to get them."""
    configured = os.environ.get("LABEL_STUDIO_IMAGE_DIR")
    found = Path(configured) if configured else shared_folder("labelstudio-image", "nginx.conf")
    if found is None or not (found / "nginx.conf").exists():
        pytest.fail(
            "the Label Studio image's nginx.conf was not found: set LABEL_STUDIO_IMAGE_DIR, or lay it at "
            "../shared/labelstudio-image/ (see its README)",
            pytrace=False,
        )
    return found


def nginx_binary() -> str:
    """Fail, never skip: without nginx the serving path goes unproven."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        pytest.fail("nginx is not installed: run scripts/setup-e2e.sh (Debian's nginx package)", pytrace=False)
    return found


@dataclass
class Names:
    """The names a case's storage has, and how the pod looks them up.

    `records`: what the nameserver answers (a fully qualified name -> an address), as cluster DNS
    (or Docker's embedded DNS) does. `search`: the container's search list (empty: Docker Compose,
    whose embedded DNS answers service names as they are)."""

    records: dict[str, str] = field(default_factory=dict)
    search: tuple[str, ...] = ()

    def resolve(self, host: str) -> str | None:
        """What the app container's libc finds for `host` (search list, then the name itself, as
        glibc does below `ndots` dots), or None when the records do not hold it."""
        host = host.rstrip(".")
        candidates = [f"{host}.{suffix}" for suffix in self.search]
        candidates = [*candidates, host] if host.count(".") < POD_NDOTS else [host, *candidates]
        return next((self.records[name] for name in candidates if name in self.records), None)

    def direct(self) -> list[str]:
        """Every host the app may reach these names by: kept out of the outbound proxy (NO_PROXY)."""
        hosts = set(self.records)
        for name in self.records:
            for suffix in self.search:
                if name.endswith(f".{suffix}"):
                    hosts.add(name.removesuffix(f".{suffix}"))
        return sorted(hosts)


SITECUSTOMIZE = '''"""The pod's resolver, for the end-to-end suite: names from E2E_POD_NAMES through E2E_POD_SEARCH."""
import json
import os
import socket

_records = json.loads(os.environ.get("E2E_POD_NAMES", "{}"))
_search = [s for s in os.environ.get("E2E_POD_SEARCH", "").split() if s]
_original = socket.getaddrinfo


def _resolve(host):
    if not isinstance(host, str) or not _records:
        return None
    host = host.rstrip(".")
    candidates = [host + "." + suffix for suffix in _search]
    candidates = candidates + [host] if host.count(".") < NDOTS else [host] + candidates
    return next((_records[name] for name in candidates if name in _records), None)


def _getaddrinfo(host, *args, **kwargs):
    return _original(_resolve(host) or host, *args, **kwargs)


socket.getaddrinfo = _getaddrinfo
'''.replace("NDOTS", str(POD_NDOTS))


def pod_resolver(names: Names, folder: Path) -> dict[str, str]:
    """The environment that makes Label Studio's process resolve as the pod would; writes its module into `folder`."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return {"E2E_POD_NAMES": json.dumps(names.records), "E2E_POD_SEARCH": " ".join(names.search)}


class ClusterDNS:
    """A UDP nameserver on 127.0.0.1 answering only the registered names (see the module's docstring)."""

    def __init__(self, records: dict[str, str]) -> None:
        self.records = records
        self.asked: list[str] = []
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind((LOOPBACK, 0))
        self.port = int(self.socket.getsockname()[1])
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def answer(self, packet: bytes) -> bytes:
        from dnslib import QTYPE, RCODE, RR, A, DNSRecord

        query = DNSRecord.parse(packet)
        reply = query.reply()
        name = str(query.q.qname).rstrip(".")
        self.asked.append(f"{QTYPE[query.q.qtype]} {name}")
        if name not in self.records:
            reply.header.rcode = RCODE.NXDOMAIN
        elif query.q.qtype == QTYPE.A:
            reply.add_answer(RR(query.q.qname, QTYPE.A, rdata=A(self.records[name]), ttl=5))
        return bytes(reply.pack())

    def serve(self) -> None:
        self.socket.settimeout(0.2)
        while self.running:
            try:
                packet, sender = self.socket.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                self.socket.sendto(self.answer(packet), sender)
            except Exception:  # a malformed packet gets no answer, as from a real server
                continue

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.socket.close()


def configured(shipped: str, root: Path, port: int, app_host: str, app_port: int, static_root: Path) -> str:
    """The shipped nginx.conf as `10-configure-nginx.sh` leaves it, moved onto this machine.

    As the start-up script does: `localhost` replaced by APP_HOST (`app_host`) everywhere; the
    `resolver` line is written into `resolv.conf` beside it (see `nginx`). No NGINX_SSL_CERT, no
    subpath. Changed because the test runs on a shared machine as root, and nothing else:
    1. `listen 8085` -> `listen 127.0.0.1:<free port>`;
    2. the app's port 8000 -> the port Label Studio listens on;
    3. `pid` and the five `*_temp_path` under /tmp -> under `root`;
    4. `access_log /dev/stdout`, `error_log /dev/stderr` -> files under `root` (same format, level);
    5. the image's app folder `/label-studio/label_studio/` (static aliases) -> the installed package's;
    6. `user root;` added: the master runs as root here, and workers as `nobody` could not enter the
       test's temp folder (in the image nginx runs as the app's user, where `user` is ignored).
    """
    text = shipped
    replacements = [
        (r"(?m)^(\s*)listen(\s+)8085;", rf"\1listen\g<2>{LOOPBACK}:{port};"),
        (r"localhost:8000", f"localhost:{app_port}"),
        (r"(?m)^pid /tmp/nginx\.pid;", f"pid {root}/nginx.pid;"),
        (r"(?m)^(\s*\w+_temp_path) /tmp/", rf"\1 {root}/"),
        (r"access_log /dev/stdout", f"access_log {root}/access.log"),
        (r"error_log /dev/stderr", f"error_log {root}/error.log"),
        (r"/label-studio/label_studio/", f"{static_root}/"),
        (r"(?m)^worker_processes", "user root;\nworker_processes"),
    ]
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text)
        assert count, f"the shipped nginx.conf no longer has {pattern!r}: review tests/harness/nginx.py"
    # 10-configure-nginx.sh: sed -i "s|localhost|${APP_HOST}|g"
    return text.replace("localhost", app_host)


@dataclass
class Nginx:
    url: str
    root: Path
    dns: ClusterDNS

    def errors(self) -> str:
        log = self.root / "error.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log.exists() else ""


@contextmanager
def nginx(app_port: int, names: Names, root: Path, static_root: Path) -> Iterator[Nginx]:
    """The image's nginx in front of Label Studio on 127.0.0.1:`app_port`, resolving through a
    stand-in nameserver that holds `names.records`, until the block ends."""
    root.mkdir(parents=True, exist_ok=True)
    dns = ClusterDNS(names.records)
    port = free_port()
    shipped = (image_dir() / "nginx.conf").read_text()
    (root / "nginx.conf").write_text(configured(shipped, root, port, LOOPBACK, app_port, static_root))
    # 10-configure-nginx.sh: echo resolver $(nameservers of /etc/resolv.conf) ";" > resolv.conf
    # The stand-in listens on a free port, not 53: the port is the one change.
    (root / "resolv.conf").write_text(f"resolver {LOOPBACK}:{dns.port} ;\n")
    command = [nginx_binary(), "-p", f"{root}/", "-c", str(root / "nginx.conf"), "-e", str(root / "error.log")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    front = Nginx(f"http://{LOOPBACK}:{port}", root, dns)
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited with {process.returncode}:\n{front.errors()}")
            try:
                if requests.get(f"{front.url}/nginx_health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"nginx did not answer on {front.url}:\n{front.errors()}")
            time.sleep(0.1)
        yield front
    finally:
        stop_process(process)
        dns.close()
