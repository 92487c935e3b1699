"""A throwaway Kubernetes cluster for the engine suite: etcd, kube-apiserver,
kube-controller-manager, kube-scheduler and kwok (built by scripts/setup-engine.sh) on free
127.0.0.1 ports, with keys, a serving certificate and an admin token made in a temporary folder,
and a kubeconfig for the Kubernetes provider.

The controller manager runs the controllers a Helm release of Label Studio's chart relies on
(CONTROLLERS): the namespace controller empties and removes deleted Namespaces, the garbage
collector lifts the `foregroundDeletion` finalizer the Kubernetes provider's deletes wait on and
removes owned objects, the service-account controllers make each namespace's `default`
ServiceAccount and the `kube-root-ca.crt` ConfigMap, and the Deployment, ReplicaSet and Job
controllers make the chart's Pods. The scheduler places them on one node that kwok
(sigs.k8s.io/kwok, Kubernetes' own project for clusters without kubelets) plays: it reports the
node Ready and each Pod on it Running and Ready (or a Job's Pod Succeeded), and removes deleted
Pods as a kubelet would. No container runs, so the chart's Deployments become available the way
they do in a real cluster and Helm's wait for them is the real wait; what runs inside a Pod is
proven elsewhere (tests/e2e: Label Studio itself on the emulators).
"""

from __future__ import annotations

import json
import secrets
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Cluster:
    """A running API server: its URL, the CA that signed its serving certificate, an admin
    (system:masters) bearer token, and a kubeconfig naming all three."""

    server: str
    ca_file: Path
    token: str
    kubeconfig: Path
    etcd: str
    logs: Path

    def env(self) -> dict[str, str]:
        """Environment that points the Kubernetes provider (and kubectl) at this cluster."""
        return {"KUBECONFIG": str(self.kubeconfig)}

    def request(self, path: str, method: str = "GET", body: object | None = None) -> tuple[int, object]:
        """One authenticated API call; returns the status and the decoded JSON body (or text)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.server + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        context = ssl.create_default_context(cafile=str(self.ca_file))
        try:
            with urllib.request.urlopen(request, context=context, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")


def _service_account_keys(folder: Path) -> tuple[Path, Path]:
    """An RSA key pair the API server signs (and checks) service-account tokens with."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private, public = folder / "sa.key", folder / "sa.pub"
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    private.chmod(0o600)
    return private, public


# What the Kubernetes provider's deletes and the chart's objects rely on (the module docstring).
CONTROLLERS = (
    "namespace-controller",
    "garbage-collector-controller",
    "serviceaccount-controller",
    "serviceaccount-token-controller",
    "root-ca-certificate-publisher-controller",
    "deployment-controller",
    "replicaset-controller",
    "job-controller",
    "node-lifecycle-controller",
)

# The node kwok plays: it manages the nodes carrying this annotation, and its node-initialize stage
# gives one without a stated capacity room for any number of Pods.
KWOK_ANNOTATION = ("kwok.x-k8s.io/node", "fake")
NODE = {
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {
        "name": "kwok-node",
        "annotations": {KWOK_ANNOTATION[0]: KWOK_ANNOTATION[1]},
        "labels": {"kubernetes.io/hostname": "kwok-node", "kubernetes.io/os": "linux", "type": "kwok"},
    },
}
# kwok's own stages (kustomize/stage in its module, installed beside the binary by
# scripts/setup-engine.sh), as kwokctl configures them for a "fast" cluster.
KWOK_STAGES = ("node-initialize", "node-heartbeat", "pod-ready", "pod-complete", "pod-delete")


def _start(command: list[str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait(ready: Callable[[], bool], process: subprocess.Popen[bytes], what: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited ({process.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout:.0f}s:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.5)


def _answers(url: str, context: ssl.SSLContext | None = None, token: str | None = None) -> bool:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, context=context, timeout=5) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def _kubeconfig(path: Path, server: str, ca_file: Path, token: str) -> None:
    # JSON is YAML: client-go and the Kubernetes provider read it as a kubeconfig.
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "engine", "cluster": {"server": server, "certificate-authority": str(ca_file)}}],
        "users": [{"name": "admin", "user": {"token": token}}],
        "contexts": [{"name": "engine", "context": {"cluster": "engine", "user": "admin", "namespace": "default"}}],
        "current-context": "engine",
    }
    path.write_text(json.dumps(config, indent=2))
    path.chmod(0o600)


@contextmanager
def running_cluster(bin_dir: Path, folder: Path, timeout: float = 180) -> Iterator[Cluster]:
    """Start etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok from `bin_dir`,
    with every file under `folder`, and register kwok's node; yield once each is healthy, stop them
    in reverse order when the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    pki = folder / "pki"
    pki.mkdir(exist_ok=True)
    token = secrets.token_hex(24)
    tokens = folder / "tokens.csv"
    tokens.write_text(f"{token},admin,admin-uid,system:masters\n")
    tokens.chmod(0o600)
    sa_key, sa_pub = _service_account_keys(pki)
    client_port, peer_port, api_port = free_port(), free_port(), free_port()
    etcd_url = f"http://127.0.0.1:{client_port}"
    peer_url = f"http://127.0.0.1:{peer_port}"
    server = f"https://127.0.0.1:{api_port}"
    with ExitStack() as stack:
        etcd_log_path, api_log_path = folder / "etcd.log", folder / "kube-apiserver.log"
        etcd_log = stack.enter_context(etcd_log_path.open("wb"))
        etcd = _start(
            [
                str(bin_dir / "etcd"),
                "--name=engine",
                f"--data-dir={folder / 'etcd'}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=engine={peer_url}",
                # A test store: losing it on a crash costs nothing, and fsync is slow on shared disks.
                "--unsafe-no-fsync",
                "--log-level=warn",
            ],
            etcd_log,
        )
        stack.callback(_stop, etcd)
        _wait(lambda: _answers(f"{etcd_url}/health"), etcd, "etcd", etcd_log_path, timeout)

        api_log = stack.enter_context(api_log_path.open("wb"))
        api = _start(
            [
                str(bin_dir / "kube-apiserver"),
                f"--etcd-servers={etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={api_port}",
                # No --tls-cert-file: the server makes a CA and a serving certificate for
                # 127.0.0.1/localhost here, and apiserver.crt holds both.
                f"--cert-dir={pki}",
                f"--token-auth-file={tokens}",
                "--authorization-mode=RBAC",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={sa_pub}",
                f"--service-account-signing-key-file={sa_key}",
                # Only an address range for Service objects: nothing routes it.
                "--service-cluster-ip-range=10.96.0.0/16",
                "--enable-priority-and-fairness=false",
                "--profiling=false",
            ],
            api_log,
        )
        stack.callback(_stop, api)
        ca_file = pki / "apiserver.crt"

        def ready() -> bool:
            if not ca_file.is_file():
                return False
            return _answers(f"{server}/readyz", ssl.create_default_context(cafile=str(ca_file)), token)

        _wait(ready, api, "kube-apiserver", api_log_path, timeout)
        kubeconfig = folder / "kubeconfig"
        _kubeconfig(kubeconfig, server, ca_file, token)

        # Each component: the admin kubeconfig (a test cluster, one trusted client), no leader
        # election, its health endpoint on a free port. /healthz is open to everyone; the
        # controller manager's and scheduler's certificates are self-signed, so not verified.
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE

        def component(name: str, arguments: list[str], health: str) -> None:
            log_path = folder / f"{name}.log"
            log = stack.enter_context(log_path.open("wb"))
            process = _start([str(bin_dir / name), f"--kubeconfig={kubeconfig}", *arguments], log)
            stack.callback(_stop, process)
            _wait(lambda: _answers(health, insecure), process, name, log_path, timeout)

        def secure_serving() -> tuple[list[str], str]:
            port = free_port()
            arguments = [
                f"--authentication-kubeconfig={kubeconfig}",
                f"--authorization-kubeconfig={kubeconfig}",
                "--bind-address=127.0.0.1",
                f"--secure-port={port}",
                "--leader-elect=false",
                "--profiling=false",
            ]
            return arguments, f"https://127.0.0.1:{port}/healthz"

        arguments, health = secure_serving()
        component(
            "kube-controller-manager",
            [
                *arguments,
                f"--cert-dir={folder / 'controller-pki'}",
                f"--controllers={','.join(CONTROLLERS)}",
                # The key the API server checks service-account tokens with, and its CA for the
                # kube-root-ca.crt ConfigMap and the legacy token Secrets.
                f"--service-account-private-key-file={sa_key}",
                f"--root-ca-file={ca_file}",
            ],
            health,
        )
        arguments, health = secure_serving()
        component("kube-scheduler", arguments, health)
        kwok_port = free_port()
        component(
            "kwok",
            [
                f"--manage-nodes-with-annotation-selector={'='.join(KWOK_ANNOTATION)}",
                *(f"--config={bin_dir / 'kwok-stages' / f'{stage}.yaml'}" for stage in KWOK_STAGES),
                f"--server-address=127.0.0.1:{kwok_port}",
                "--node-ip=127.0.0.1",
                "--cidr=10.0.0.1/16",
            ],
            f"http://127.0.0.1:{kwok_port}/healthz",
        )
        running = Cluster(
            server=server, ca_file=ca_file, token=token, kubeconfig=kubeconfig, etcd=etcd_url, logs=folder
        )
        status, answer = running.request("/api/v1/nodes", "POST", NODE)
        if status != 201:
            raise RuntimeError(f"creating kwok's node: {status} {answer}")
        yield running


if __name__ == "__main__":
    # Start a cluster by hand: python -m tests.engine.cluster BIN_DIR FOLDER
    import sys

    with running_cluster(Path(sys.argv[1]), Path(sys.argv[2])) as running:
        print(f"KUBECONFIG={running.kubeconfig}  server={running.server}  (Ctrl-C stops)", flush=True)
        with suppress(KeyboardInterrupt):
            signal.pause()
