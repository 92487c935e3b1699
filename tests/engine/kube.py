"""Just enough of a Kubernetes client for the engine suite: read objects back from the API server
the Kubernetes provider wrote to, create the objects an administrator makes beforehand, delete a
test's namespace and wait for the namespace controller to finish it."""

from __future__ import annotations

import base64
import json
import ssl
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml


class Kube:
    def __init__(self, kubeconfig: Path):
        config = yaml.safe_load(Path(kubeconfig).read_text())
        context_name = config.get("current-context") or config["contexts"][0]["name"]
        context = next(c["context"] for c in config["contexts"] if c["name"] == context_name)
        cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
        users = config.get("users") or []
        user: dict[str, Any] = next((u["user"] for u in users if u["name"] == context.get("user")), {})
        self.server = cluster["server"].rstrip("/")
        self.headers = {"Accept": "application/json"}
        self.context: ssl.SSLContext | None = None
        if self.server.startswith("https"):
            self.context = ssl.create_default_context()
            if cluster.get("insecure-skip-tls-verify"):
                self.context.check_hostname = False
                self.context.verify_mode = ssl.CERT_NONE
            elif cluster.get("certificate-authority-data"):
                self.context.load_verify_locations(
                    cadata=base64.b64decode(cluster["certificate-authority-data"]).decode()
                )
            elif cluster.get("certificate-authority"):
                self.context.load_verify_locations(cluster["certificate-authority"])
            cert, key = self._client_files(user)
            if cert:
                self.context.load_cert_chain(cert, key)
        if user.get("token"):
            self.headers["Authorization"] = f"Bearer {user['token']}"

    @staticmethod
    def _client_files(user: dict[str, Any]) -> tuple[str | None, str | None]:
        if user.get("client-certificate-data"):
            folder = Path(tempfile.mkdtemp(prefix="kube-client-"))
            (folder / "cert.pem").write_bytes(base64.b64decode(user["client-certificate-data"]))
            (folder / "key.pem").write_bytes(base64.b64decode(user["client-key-data"]))
            return str(folder / "cert.pem"), str(folder / "key.pem")
        return user.get("client-certificate"), user.get("client-key")

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = dict(self.headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.server + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, context=self.context, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else None

    def get(self, path: str) -> Any | None:
        try:
            return self.request("GET", path)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def items(self, path: str) -> list[dict[str, Any]]:
        found = self.get(path)
        return list((found or {}).get("items") or [])

    def deployments(self, namespace: str, release: str) -> dict[str, tuple[int, int]]:
        """A Helm release's Deployments in `namespace`: name -> (available, desired) replicas. All
        available means Helm's wait for them was met by running Pods (the cluster's kwok node)."""
        found = self.items(f"/apis/apps/v1/namespaces/{namespace}/deployments")
        return {
            d["metadata"]["name"]: (
                int((d.get("status") or {}).get("availableReplicas") or 0),
                int(d["spec"].get("replicas", 1)),
            )
            for d in found
            if (d["metadata"].get("annotations") or {}).get("meta.helm.sh/release-name") == release
        }

    def create_namespace(self, name: str) -> None:
        self.request(
            "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        )

    def create_secret(self, namespace: str, name: str, string_data: dict[str, str]) -> None:
        body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "stringData": string_data}
        self.request("POST", f"/api/v1/namespaces/{namespace}/secrets", body)

    def delete_namespace(self, name: str, timeout: float = 120) -> None:
        """Delete a namespace and wait until it is gone: the cluster's namespace controller
        deletes everything in it first, then the namespace (tests/engine/cluster.py)."""
        try:
            self.request("DELETE", f"/api/v1/namespaces/{name}")
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return
            raise
        deadline = time.monotonic() + timeout
        while (left := self.get(f"/api/v1/namespaces/{name}")) is not None:
            if time.monotonic() > deadline:
                conditions = (left.get("status") or {}).get("conditions") or []
                why = "; ".join(f"{c.get('type')}: {c.get('message')}" for c in conditions if c.get("status") == "True")
                raise TimeoutError(f"namespace {name} is still there after {timeout:.0f}s ({why or 'no condition'})")
            time.sleep(0.5)


def assert_rolled_out(kube: Kube, namespace: str, release: str) -> None:
    """Helm's wait for the release was met the way a cluster meets it: the release has
    Deployments and each has all its replicas available."""
    deployments = kube.deployments(namespace, release)
    assert deployments, f"release {release} has no Deployment in namespace {namespace}"
    unavailable = {name: counts for name, counts in deployments.items() if counts[0] < counts[1]}
    assert not unavailable, f"Deployments not available (available, desired replicas): {unavailable}"
