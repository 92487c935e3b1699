"""Prove a deployed stack's storage works the way Label Studio uses it.

    pulumi stack output --json --show-secrets > outputs.json
    .venv/bin/python -m tools.check --outputs outputs.json      # or: --stack dev

With the stack's outputs it puts, gets, lists and deletes an object under the folder, fetches
it through a signed GET URL, and sends browser-style CORS requests from each allowed origin
and from one that must be refused. Where the access mode hands out keys it uses exactly those
and refuses to run without them; otherwise (IRSA, Pod Identity, Workload Identity) it uses
your own credentials and says so. It prints each step as it runs, then a pass/fail table, and
deletes its test object even when a step fails.

It is bounded: each request has a short timeout and one retry, and the whole check ends within
--deadline seconds (60 by default), a storage that hangs counting as a failure.
Exit codes: 0 every check passed; 1 storage failed or did not answer in time; 2 the check
could not start (outputs unreadable, malformed or with masked keys; no credentials).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TextIO, TypeVar

from components import registry
from components.arguments import FOUND_STORAGE_MODES
from components.storage_check import DEFAULT_TIMEOUTS, StorageCheck, Timeouts, parse_env_list


def missing_extras(error: ModuleNotFoundError) -> str:
    """What to run when a client library of check's is not installed (requirements-check.txt)."""
    return (
        f"cannot check: the cloud client library {error.name!r} is not installed in this environment; "
        "run ./scripts/setup.sh check (it installs requirements-check.txt into .venv)"
    )


try:
    import requests
except ModuleNotFoundError as missing:  # check's clients are an extra: say how to install them
    if __name__ == "__main__":
        print(missing_extras(missing), file=sys.stderr)
        sys.exit(2)
    raise

REFUSED_ORIGIN = "https://storage-check.invalid"
DEFAULT_DEADLINE = 60.0
PASSED, FAILED, BAD_INPUT = 0, 1, 2
MASKED = "[secret]"  # what `pulumi stack output --json` prints for a secret without --show-secrets
CLEANUP_SHARE = 0.25  # of the deadline, kept to delete the test object however long the rest took
SHOW_SECRETS = "pulumi stack output --json --show-secrets > outputs.json"
JSON_KINDS = {list: "list", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}

T = TypeVar("T")


class BadOutputs(Exception):
    """The check cannot start; the message says what is wrong and how to fix it, in one line."""


class Deadline:
    """The check's whole time. Steps share what is left; cleanup keeps its share to the end,
    and a small margin is kept to print the table before the hard stop."""

    def __init__(self, seconds: float, started: float | None = None, clock: Callable[[], float] = time.monotonic):
        self.seconds, self.clock = seconds, clock
        self.end = (clock() if started is None else started) + seconds - min(0.5, seconds * 0.05)

    def left(self) -> float:
        return max(0.0, self.end - self.clock())

    def for_step(self, cleanup: bool = False) -> float:
        """Seconds the next step may take."""
        return max(0.0, self.left() - (0.0 if cleanup else self.seconds * CLEANUP_SHARE))


def within(seconds: float, action: Callable[[], T]) -> T:
    """`action()`, or TimeoutError once `seconds` have passed; a call that hangs is left behind
    on a daemon thread, which ends with the process."""
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = action()
        except BaseException as error:  # handed to the caller below
            outcome["error"] = error

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError(f"no answer within {seconds:.1f} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


_QUERY = re.compile(r"\?[^\s'\"<>]+")


def one_line(error: BaseException | str, secrets: Sequence[str] = ()) -> str:
    """The error in one short line, without any of `secrets` and without URLs' query strings
    (a signed URL's query is a credential)."""
    text = str(error)
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASKED)
    text = " ".join(_QUERY.sub("?(query hidden)", text).split())
    text = "".join(character if character.isprintable() else "?" for character in text)  # no terminal escapes
    text = text or (type(error).__name__ if isinstance(error, BaseException) else "")
    return text if len(text) <= 160 else text[:157] + "..."


@dataclass
class Step:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Report:
    target: str
    deadline: Deadline = field(default_factory=lambda: Deadline(DEFAULT_DEADLINE))
    secrets: Sequence[str] = ()
    progress: TextIO | None = None
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # said, but no check fails for them

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    def run(self, name: str, action: Callable[[], str | bool | None], cleanup: bool = False) -> bool:
        """Record one step, within what is left of the deadline. It passes when it returns None
        or True; a string is why it failed."""
        budget = self.deadline.for_step(cleanup)
        if budget <= 0:
            self._say(f"  {name} ... skipped\n")
            return self._record(Step(name, False, f"skipped: the {self.deadline.seconds:g} s deadline has passed"))
        self._say(f"  {name} ... ")
        began = time.monotonic()
        try:
            result = within(budget, action)
        except Exception as error:
            step = Step(name, False, one_line(error, self.secrets))
        else:
            ok = result is None or result is True
            step = Step(name, ok, one_line(result, self.secrets) if isinstance(result, str) else "")
        self._say(f"{'PASS' if step.ok else 'FAIL'} ({time.monotonic() - began:.1f} s)\n")
        return self._record(step)

    def _record(self, step: Step) -> bool:
        self.steps.append(step)
        return step.ok

    def _say(self, text: str) -> None:
        if self.progress:
            self.progress.write(text)
            self.progress.flush()

    def table(self) -> str:
        width = max([len(step.name) for step in self.steps] + [5])
        lines = [f"Storage check: {self.target}", ""]
        lines += [f"  {'check'.ljust(width)}  result  detail", f"  {'-' * width}  ------  ------"]
        for step in self.steps:
            lines.append(f"  {step.name.ljust(width)}  {'PASS' if step.ok else 'FAIL':<6}  {step.detail}".rstrip())
        lines += [""] + [f"Note: {note}" for note in self.notes]
        lines += [f"Warning: {warning}" for warning in self.warnings]
        passed = sum(step.ok for step in self.steps)
        lines.append(f"{passed} of {len(self.steps)} checks passed" + ("" if self.ok else "; storage is NOT ready"))
        return "\n".join(lines) + "\n"


# -- reading the outputs -----------------------------------------------------------------------------


@dataclass
class Reached:
    """The storage to check, and what the reader should know about how it was reached."""

    storage: StorageCheck
    notes: list[str] = field(default_factory=list)


def credentials_in(outputs: Mapping[str, Any]) -> list[str]:
    """Every credential the outputs hold, to keep out of everything printed; never raises."""
    found = [secret for cloud in registry.BACKENDS for secret in registry.check_client(cloud).secrets_in(outputs)]
    return [secret for secret in found if secret and secret != MASKED]


def shown(value: Any) -> str:
    """A value from the outputs, quoted and short enough for a one-line message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class OutputReader:
    """The stack outputs as a cloud's check client reads them (components.storage_check.StackOutputs):
    each read refuses a missing or masked value with BadOutputs naming it and the fix."""

    outputs: Mapping[str, Any]

    def text(self, name: str) -> str:
        value = self.outputs.get(name)
        if value == MASKED:
            raise BadOutputs(
                f"`{name}` is masked ({MASKED}): write the outputs with `{SHOW_SECRETS}`, and keep that file private"
            )
        if not isinstance(value, str) or not value.strip():
            raise BadOutputs(f"the outputs lack `{name}` (a non-empty string); pass this stack's `{SHOW_SECRETS}`")
        return value

    def optional_text(self, name: str) -> str | None:
        value = self.outputs.get(name)
        return value if isinstance(value, str) else None

    def label_studio_env(self, keyed: Sequence[str]) -> dict[str, str]:
        env = parse_env_list(self.text("envList"))
        for name in keyed:
            if env.get(name, "").strip() == MASKED:
                raise BadOutputs(f"{name} in `envList` is masked ({MASKED}): write the outputs with `{SHOW_SECRETS}`")
            if not env.get(name, "").strip():
                raise BadOutputs(
                    f"`envList` lacks {name}, the key Label Studio uses; pass this stack's `{SHOW_SECRETS}`"
                )
        return env

    def service_account_key(self) -> dict[str, Any]:
        try:
            key = json.loads(self.text("serviceAccountKeyJson"))
        except json.JSONDecodeError:
            key = None
        if not isinstance(key, dict) or key.get("type") != "service_account" or not key.get("private_key"):
            raise BadOutputs("`serviceAccountKeyJson` is not a service-account key file; pass this stack's outputs")
        return key


def access_mode(outputs: Mapping[str, Any], cloud: str) -> str | None:
    """The stack's access mode; None for keyless access in outputs that do not name it."""
    access = outputs.get("access")
    rules = registry.cloud_settings(cloud)
    if access is None:  # outputs that name no mode: the keys are there, or none are handed out
        keyed = (
            rules.access_modes == (rules.keyed_access,) or "envList" in outputs or "serviceAccountKeyJson" in outputs
        )
        return str(rules.keyed_access) if keyed else None
    if access not in rules.access_modes:
        modes = " or ".join(rules.access_modes)
        raise BadOutputs(
            f"`access` is {shown(access)}, not an access mode of cloud {cloud} ({modes}); are these its outputs?"
        )
    return str(access)


def storage_from_outputs(
    outputs: Mapping[str, Any], endpoint_url: str | None = None, timeouts: Timeouts = DEFAULT_TIMEOUTS
) -> Reached:
    """The storage the outputs describe, reached by the cloud's own check client. Where the
    access mode hands out keys, reached with exactly Label Studio's keys, never the caller's;
    without them, BadOutputs."""
    cloud = outputs.get("cloud")
    if not isinstance(cloud, str) or cloud not in registry.BACKENDS:
        raise BadOutputs(
            f"the outputs name no known cloud (cloud={shown(cloud)}); are they this project's stack outputs?"
        )
    access = access_mode(outputs, cloud)
    reader = OutputReader(outputs)
    reader.text("bucketName")  # every cloud's outputs name it: a first sign these are a stack's outputs
    keyed = access == registry.cloud_settings(cloud).keyed_access
    storage = registry.check_client(cloud).reach(reader, keyed, endpoint_url, timeouts)
    if keyed:  # a client may still have had to use yours (keys in a Kubernetes Secret), and says so
        return Reached(storage, list(getattr(storage, "notes", ())))
    note = (
        f"access is {access or 'keyless'}: Label Studio's pods get their own identity, so this check used YOUR "
        "credentials; it proves the bucket, CORS and signed URLs, not the pods' identity"
    )
    return Reached(storage, [note])


def folder_and_origins(outputs: Mapping[str, Any]) -> tuple[str, list[str]]:
    folder, origins = outputs.get("folder") or "", outputs.get("corsOrigins") or []
    if not isinstance(folder, str):
        raise BadOutputs(f"`folder` is {shown(folder)}, not a folder name; pass this stack's outputs")
    if not isinstance(origins, list) or not all(isinstance(origin, str) for origin in origins):
        raise BadOutputs("`corsOrigins` is not a list of origins; pass this stack's outputs")
    return folder, origins


def parse_outputs(text: str, source: str) -> dict[str, Any]:
    """The stack outputs in `text`: one JSON object, as `pulumi stack output --json` prints it."""
    try:
        outputs = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadOutputs(
            f"{source} is not JSON (line {error.lineno}, column {error.colno}); write it with `{SHOW_SECRETS}`"
        ) from None
    if not isinstance(outputs, dict):
        kind = JSON_KINDS.get(type(outputs), "value")
        raise BadOutputs(
            f"{source} holds a JSON {kind}, not the object of stack outputs; write it with `{SHOW_SECRETS}`"
        )
    return outputs


def read_outputs(path: str | None, stack: str | None, seconds: float) -> dict[str, Any]:
    if path == "-":
        return parse_outputs(sys.stdin.read(), "standard input")
    if path:
        try:
            return parse_outputs(Path(path).read_text(encoding="utf-8"), path)
        except (OSError, UnicodeDecodeError) as error:
            raise BadOutputs(f"cannot read {path}: {one_line(getattr(error, 'strerror', None) or error)}") from None
    command = ["pulumi", "stack", "output", "--json", "--show-secrets"] + (["--stack", stack] if stack else [])
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds)
    except FileNotFoundError:
        raise BadOutputs("the Pulumi CLI is not installed; pass the outputs with --outputs <file>") from None
    except subprocess.TimeoutExpired:
        raise BadOutputs(f"`{' '.join(command)}` did not answer within {seconds:.0f} s") from None
    except subprocess.CalledProcessError as error:
        raise BadOutputs(f"`{' '.join(command)}` failed: {one_line(error.stderr)}") from None
    return parse_outputs(result.stdout, f"the outputs of stack {stack or '(selected)'}")


# -- the checks --------------------------------------------------------------------------------------


def _cors_allows(response: requests.Response, origin: str) -> bool:
    return response.status_code in (200, 204) and response.headers.get("Access-Control-Allow-Origin") in (origin, "*")


def check(
    storage: StorageCheck,
    folder: str,
    origins: Sequence[str],
    refused_origin: str = REFUSED_ORIGIN,
    report: Report | None = None,
) -> Report:
    report = report or Report(storage.description)
    token = uuid.uuid4().hex[:12]
    prefix = f"{folder}/" if folder else ""
    key = f"{prefix}.label-studio-storage-check-{token}.txt"
    body = f"label-studio-storage check {token}\n".encode()
    try:
        put = report.run(f"put {key}", lambda: storage.put(key, body))
        report.run("get it back", lambda: storage.get(key) == body or "content differs")
        report.run(
            f"list {folder or '(bucket root)'}",
            lambda: key in storage.list(prefix) or "not listed",
        )

        def signed_get() -> str | bool:
            answer = requests.get(storage.signed_get_url(key), timeout=storage.timeouts.pair)
            if answer.status_code != 200:
                return f"HTTP {answer.status_code}"
            return answer.content == body or "HTTP 200, but not the object's content"

        report.run("signed GET URL", signed_get)
        # A browser preflights an upload to a key that does not exist yet.
        upload_key = key.replace("-check-", "-check-upload-")
        for origin in origins:
            report.run(f"CORS upload preflight from {origin}", partial(_preflight, storage, upload_key, origin))
            if put:
                report.run(f"CORS GET from {origin}", partial(_cors_get, storage, key, origin))
        report.run(f"CORS refuses {refused_origin}", lambda: _refused(storage, upload_key, refused_origin))
    finally:
        deleted = report.run("delete the test object", lambda: storage.delete(key), cleanup=True)
        gone = report.run("it is gone", lambda: key not in storage.list(prefix) or "still listed", cleanup=True)
        if not (deleted and gone):
            report.notes.append(f"the test object {key} may be left behind; delete it by hand")
    return report


def hardening_warnings(storage: StorageCheck, outputs: Mapping[str, Any], secrets: Sequence[str] = ()) -> list[str]:
    """For storage the stack did not create (`storage` output existing or adopt), how it differs
    from the hardening this project gives created storage, its CORS rules compared with the
    stack's own `corsOrigins`; warnings only, never a failure."""
    if outputs.get("storage") not in FOUND_STORAGE_MODES:
        return []
    differences = getattr(storage, "hardening_warnings", None)
    if differences is None:
        return []
    origins = outputs.get("corsOrigins") or []
    origins = [origin for origin in origins if isinstance(origin, str)] if isinstance(origins, list) else []
    try:
        return [one_line(found, secrets) for found in differences(origins)]
    except Exception as error:
        return [f"cannot tell how the storage differs from this project's hardening: {one_line(error, secrets)}"]


def _preflight_response(storage: StorageCheck, key: str, origin: str) -> requests.Response:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": ",".join(storage.upload_headers),
    }
    return requests.options(storage.object_url(key), headers=headers, timeout=storage.timeouts.pair)


def _preflight(storage: StorageCheck, key: str, origin: str) -> str | bool:
    answer = _preflight_response(storage, key, origin)
    return (
        _cors_allows(answer, origin)
        or f"HTTP {answer.status_code}, allowed origin {answer.headers.get('Access-Control-Allow-Origin')!r}"
    )


def _cors_get(storage: StorageCheck, key: str, origin: str) -> str | bool:
    answer = requests.get(storage.signed_get_url(key), headers={"Origin": origin}, timeout=storage.timeouts.pair)
    allowed = answer.headers.get("Access-Control-Allow-Origin") in (origin, "*")
    return (
        answer.status_code == 200 and allowed
    ) or f"HTTP {answer.status_code}, allowed origin {answer.headers.get('Access-Control-Allow-Origin')!r}"


def _refused(storage: StorageCheck, key: str, origin: str) -> str | bool:
    answer = _preflight_response(storage, key, origin)
    return not _cors_allows(answer, origin) or "a foreign origin was allowed to upload"


# -- command line ------------------------------------------------------------------------------------


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 24 * 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


def endpoint(text: str) -> str:
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an http:// or https:// URL")
    return text


def _give_up(deadline: float) -> None:
    """The last resort when something outside the timed steps hangs: say so and end the process."""
    sys.stderr.write(f"\nthe {deadline:g} s deadline passed before the check finished; storage is NOT ready\n")
    sys.stderr.flush()
    os._exit(FAILED)


def main(argv: Sequence[str] | None = None) -> int:
    started = time.monotonic()
    parser = argparse.ArgumentParser(prog="python -m tools.check", description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--outputs", help="JSON file of `pulumi stack output --json --show-secrets` ('-' for stdin)")
    source.add_argument("--stack", help="read the outputs of this stack with the Pulumi CLI")
    parser.add_argument(
        "--endpoint-url", type=endpoint, help="talk to this storage endpoint instead of the cloud's (an emulator)"
    )
    parser.add_argument("--refused-origin", default=REFUSED_ORIGIN, help="an origin the CORS rules must refuse")
    parser.add_argument(
        "--deadline",
        type=seconds,
        default=DEFAULT_DEADLINE,
        help=f"seconds the whole check may take (default {DEFAULT_DEADLINE:g}); storage that has not answered fails",
    )
    args = parser.parse_args(argv)
    deadline = Deadline(args.deadline, started)
    watchdog = threading.Timer(max(0.0, started + args.deadline - time.monotonic()), _give_up, (args.deadline,))
    watchdog.daemon = True
    watchdog.start()
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"google\.")  # notices about Python versions
    outputs: dict[str, Any] = {}
    try:
        try:
            outputs = read_outputs(args.outputs, args.stack, deadline.left())
            folder, origins = folder_and_origins(outputs)
            reached = storage_from_outputs(outputs, args.endpoint_url, Timeouts.within(args.deadline))
        except BadOutputs as problem:
            print(f"cannot check: {problem}", file=sys.stderr)
            return BAD_INPUT
        except ModuleNotFoundError as error:  # check's clients are an extra the plan and `pulumi up` never need
            print(missing_extras(error), file=sys.stderr)
            return BAD_INPUT
        except Exception as error:  # a cloud SDK refusing the outputs or finding no credentials of yours
            print(f"cannot check: {one_line(error, credentials_in(outputs))}", file=sys.stderr)
            return BAD_INPUT
        storage = reached.storage
        print(f"Checking {storage.description} within {args.deadline:g} s", file=sys.stderr, flush=True)
        report = Report(storage.description, deadline, credentials_in(outputs), sys.stderr)
        check(storage, folder, origins, args.refused_origin, report)
        report.notes += reached.notes
        report.warnings += hardening_warnings(storage, outputs, report.secrets)
        sys.stdout.write(report.table())
        sys.stdout.flush()
        return PASSED if report.ok else FAILED
    finally:
        watchdog.cancel()


if __name__ == "__main__":
    sys.exit(main())
