"""Running `python -m tools.check` as a user does, and reading its table back."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_check(
    tmp_path: Path,
    outputs: Any,
    endpoint: str | None = None,
    env: dict[str, str] | None = None,
    deadline: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """`tools.check` on these stack outputs, written to a file as `pulumi stack output --json` would
    (or as they are, when given as text)."""
    path = tmp_path / "outputs.json"
    path.write_text(outputs if isinstance(outputs, str) else json.dumps(outputs))
    command = [sys.executable, "-m", "tools.check", "--outputs", str(path)]
    if endpoint:
        command += ["--endpoint-url", endpoint]
    if deadline:
        command += ["--deadline", str(deadline)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)


def table_of(result: subprocess.CompletedProcess[str]) -> dict[str, tuple[str, str]]:
    """check name -> (PASS or FAIL, detail), from the printed table."""
    table = {}
    for line in result.stdout.splitlines():
        words = [part.strip() for part in line.strip().split("  ") if part.strip()]
        if len(words) >= 2 and words[1] in ("PASS", "FAIL"):
            table[words[0]] = (words[1], " ".join(words[2:]))
    return table


def rows(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """check name -> PASS or FAIL."""
    return {name: verdict for name, (verdict, _) in table_of(result).items()}


@contextmanager
def hostile_endpoint(behaviour: str) -> Iterator[str]:
    """An endpoint on 127.0.0.1 that is `closed` (nothing listens), `hanging` (accepts and never
    answers), answers `garbage` (bytes that are not HTTP), or answers `junk-http` (200 OK to
    everything, with a body no storage API would send)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    if behaviour == "closed":
        listener.close()
        yield url
        return
    listener.listen(64)
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def answer(connection: socket.socket) -> None:
        connection.settimeout(1)
        try:
            connection.recv(65536)
            if behaviour == "garbage":
                connection.sendall(b"\x00\xffnot http at all\r\n\r\n" * 50)
            else:
                body = b"<<junk>>" * 8
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        except OSError:
            pass
        finally:
            connection.close()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            if behaviour == "hanging":
                held.append(connection)  # kept open, never read, never answered
            else:
                threading.Thread(target=answer, args=(connection,), daemon=True).start()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    try:
        yield url
    finally:
        stop.set()
        server.join()
        listener.close()
        for connection in held:
            connection.close()
