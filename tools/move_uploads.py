"""Print what runs the uploads mover (tools/uploads_mover.py) next to Label Studio's old volume.

Kubernetes, once the release with persistence has rolled out (docs/operations.md):

    kubectl -n label-studio get deployment label-studio-ls-app -o json \\
      | python -m tools.move_uploads kubernetes --dry-run | kubectl apply -f -

prints a ConfigMap holding the mover and a one-off Job built from the running Deployment: Label
Studio's own image, service account, environment (every Secret reference as it is), Secret
volumes and pod security context, so the mover has Label Studio's storage settings and identity
(keys, IRSA, EKS Pod Identity, Workload Identity: all follow the service account or the node);
plus the old volume's claim (`<release>-ls-pvc`, or --claim) mounted read-only. It builds nothing
else and talks to no cluster: review it, then apply it.

Docker Compose, where the old data folder is:

    python -m tools.move_uploads compose --data ./mydata --dry-run

prints a `docker compose run` of Label Studio's service (its image and env_file, so env.list) with
the mover and the data folder mounted read-only.
"""

from __future__ import annotations

import argparse
import copy
import json
import shlex
import sys
from pathlib import Path
from typing import Any

import yaml

MOVER = Path(__file__).with_name("uploads_mover.py")
MOVER_DIR = "/opt/uploads-mover"
OLD_DATA = "/old-data"  # where the old volume is mounted; Label Studio's media folder is media/ under it
APP_CONTAINER = "app"
SCRATCH_DATA = "/tmp/uploads-mover-data"
# The chart's name for the volume claim it makes when persistence is `volume` (templates/_helpers.tpl).
CHART_CLAIM_SUFFIX = "-ls-pvc"
INSTANCE_LABEL = "app.kubernetes.io/instance"


class Refused(Exception):
    """The input cannot give a correct Job; the message says why and what to do."""


def mover_command(dry_run: bool, source: str = f"{OLD_DATA}/media") -> list[str]:
    return ["python3", f"{MOVER_DIR}/uploads_mover.py", source, *(["--dry-run"] if dry_run else [])]


def job_manifests(
    deployment: dict[str, Any], mover_source: str, claim: str | None = None, dry_run: bool = False
) -> list[dict[str, Any]]:
    """A ConfigMap with the mover and the Job that runs it as Label Studio's app container runs."""
    if deployment.get("kind") != "Deployment":
        raise Refused(
            f"expected a Deployment (kubectl get deployment <release>-ls-app -o json), got {deployment.get('kind')!r}"
        )
    metadata = deployment["metadata"]
    pod = deployment["spec"]["template"]["spec"]
    containers = {container["name"]: container for container in pod.get("containers", [])}
    if APP_CONTAINER not in containers:
        raise Refused(
            f"{metadata['name']} has no container named {APP_CONTAINER!r}: is it Label Studio's app Deployment?"
        )
    app = containers[APP_CONTAINER]
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    claims = sorted(v["persistentVolumeClaim"]["claimName"] for v in volumes.values() if "persistentVolumeClaim" in v)
    if claims:
        raise Refused(
            f"{metadata['name']} still mounts the volume claim {', '.join(claims)}: Label Studio still keeps its "
            "files there. Roll out the release with persistent storage first (docs/operations.md), then run the move"
        )
    storage_type = next((e.get("value") for e in app.get("env", []) if e["name"] == "STORAGE_TYPE"), None)
    if storage_type not in ("s3", "gcs", "azure"):
        raise Refused(f"{metadata['name']} has no cloud storage configured (STORAGE_TYPE {storage_type!r})")
    release = (metadata.get("labels") or {}).get(INSTANCE_LABEL)
    if not claim:
        if not release:
            raise Refused(f"{metadata['name']} has no {INSTANCE_LABEL} label to name the old claim by: pass --claim")
        claim = f"{release}{CHART_CLAIM_SUFFIX}"

    name = f"{metadata['name']}-move-uploads{'-dry-run' if dry_run else ''}"[:63].rstrip("-")
    namespace = metadata.get("namespace")
    labels = {"app.kubernetes.io/name": "label-studio-uploads-mover", **({INSTANCE_LABEL: release} if release else {})}

    def meta(object_name: str) -> dict[str, Any]:
        return {"name": object_name, **({"namespace": namespace} if namespace else {}), "labels": dict(labels)}

    config_map: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(f"{metadata['name']}-uploads-mover"[:63]),
        "data": {"uploads_mover.py": mover_source},
    }
    # Everything the app container mounts comes along (Secret volumes such as the GCS key, emptyDirs
    # for the data folder and /tmp); no claim does, but the old one, read-only.
    mounts = [copy.deepcopy(mount) for mount in app.get("volumeMounts", [])]
    used = {mount["name"] for mount in mounts}
    job_volumes = [copy.deepcopy(volumes[volume]) for volume in sorted(used) if volume in volumes]
    job_volumes += [
        {"name": "old-data", "persistentVolumeClaim": {"claimName": claim, "readOnly": True}},
        {"name": "uploads-mover", "configMap": {"name": config_map["metadata"]["name"]}},
    ]
    mounts += [
        {"name": "old-data", "mountPath": OLD_DATA, "readOnly": True},
        {"name": "uploads-mover", "mountPath": MOVER_DIR, "readOnly": True},
    ]
    container = {
        "name": "move-uploads",
        "image": app["image"],
        "command": mover_command(dry_run),
        "env": copy.deepcopy(app.get("env", [])),
        "volumeMounts": mounts,
    }
    for key in ("imagePullPolicy", "envFrom", "securityContext", "workingDir", "resources"):
        if key in app:
            container[key] = copy.deepcopy(app[key])
    pod_spec: dict[str, Any] = {"restartPolicy": "Never", "containers": [container], "volumes": job_volumes}
    for key in (
        "serviceAccountName",
        "automountServiceAccountToken",
        "securityContext",
        "imagePullSecrets",
        "nodeSelector",
        "tolerations",
        "hostAliases",
    ):
        if key in pod:
            pod_spec[key] = copy.deepcopy(pod[key])
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta(name),
        "spec": {
            # Running again is safe, but a failure is for a person to read (kubectl logs job/<name>).
            "backoffLimit": 0,
            "template": {"metadata": {"labels": dict(labels)}, "spec": pod_spec},
        },
    }
    return [config_map, job]


def compose_command(service: str, data: str, mover: Path, dry_run: bool) -> str:
    """`docker compose run` of Label Studio's own service: its image and env_file (env.list)."""
    command = ["docker", "compose", "run", "--rm", "--no-deps", "-T", "--entrypoint", "python3"]
    # Label Studio's settings make their folders under the data folder when they load: a scratch one, so
    # nothing is created on the service's own data volume.
    command += ["-e", f"LABEL_STUDIO_BASE_DATA_DIR={SCRATCH_DATA}"]
    command += ["-v", f"{mover.resolve()}:{MOVER_DIR}/uploads_mover.py:ro", "-v", f"{data}:{OLD_DATA}:ro"]
    command += [service, *mover_command(dry_run)[1:]]
    return shlex.join(command)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.move_uploads", description=__doc__.split("\n\n")[0])
    targets = parser.add_subparsers(dest="target", required=True)
    kubernetes = targets.add_parser("kubernetes", help="a ConfigMap and Job, from the Deployment's JSON on stdin")
    kubernetes.add_argument("--deployment", type=Path, help="the Deployment's JSON (default: standard input)")
    kubernetes.add_argument("--claim", help=f"the old volume's claim (default: <release>{CHART_CLAIM_SUFFIX})")
    kubernetes.add_argument("--dry-run", action="store_true", help="the Job only says what it would copy")
    compose = targets.add_parser("compose", help="a docker compose run command")
    compose.add_argument("--service", default="app", help="Label Studio's service in the compose file (default app)")
    compose.add_argument("--data", default="./mydata", help="the old data folder or volume (default ./mydata)")
    compose.add_argument("--dry-run", action="store_true", help="only say what it would copy")
    arguments = parser.parse_args(argv)
    if arguments.target == "compose":
        print(compose_command(arguments.service, arguments.data, MOVER, arguments.dry_run))
        return 0
    try:
        text = arguments.deployment.read_text() if arguments.deployment else sys.stdin.read()
        try:
            deployment = json.loads(text)
        except json.JSONDecodeError as error:
            raise Refused(f"the Deployment is not JSON ({error}): use kubectl get deployment ... -o json") from None
        manifests = job_manifests(deployment, MOVER.read_text(), arguments.claim, arguments.dry_run)
    except Refused as error:
        print(f"move_uploads: {error}", file=sys.stderr)
        return 2
    print(yaml.safe_dump_all(manifests, sort_keys=False), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
