"""Local stand-ins for cloud APIs, started on 127.0.0.1 for the tests that need a real protocol."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_process(process: subprocess.Popen, grace: float = 10.0) -> None:
    """End a process the tests started: asked to (SIGTERM), then, after `grace` seconds, made to."""
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@contextmanager
def serving(
    command: Sequence[str], port: int, env: dict[str, str] | None = None, timeout: float = 30.0
) -> Iterator[str]:
    """Run `command` until the block ends, once it accepts connections on `port`."""
    process = subprocess.Popen(
        list(command), env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{command[0]} exited: {process.stderr.read().decode()[-2000:] if process.stderr else ''}"
                    ) from None
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{' '.join(command)} did not listen on {port}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)


@contextmanager
def moto_server(path_style_only: bool = False) -> Iterator[str]:
    """moto's S3 and IAM on loopback; IAM is not enforced until `enforce_iam` is called.

    MOTO_DISABLE_GLOBAL_CORS: without it moto answers every origin, which would hide a CORS mistake.
    `path_style_only`: as MinIO without MINIO_DOMAIN, never read a bucket from the Host header (moto
    otherwise takes `minio` of a host `minio.minio` for a bucket).
    """
    port = free_port()
    env = {"MOTO_DISABLE_GLOBAL_CORS": "true", "INITIAL_NO_AUTH_ACTION_COUNT": "1000000000"}
    if path_style_only:
        env["S3_IGNORE_SUBDOMAIN_BUCKETNAME"] = "true"
    with serving([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port, env) as endpoint:
        yield endpoint


def enforce_iam(endpoint: str) -> None:
    """From now on moto checks every request against the caller's IAM policies."""
    import requests

    response = requests.post(f"{endpoint}/moto-api/reset-auth", data=b"0", timeout=10)
    response.raise_for_status()
