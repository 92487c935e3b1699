"""Swapping the stand-in credentials of the credential-free run for the ones an emulator issues.

tools/mockrun's stand-in cloud answers every credential with a fixed made-up value; the emulators
issue their own. A case replaces exactly those values, wherever the program put them (env.list,
the Kubernetes Secret, inline chart values), and fails if one it expected is not there, so a
changed stand-in can never leave a case running on something other than the program's output.
"""

from __future__ import annotations

from collections.abc import Mapping

# What tools/mockrun's StandInCloud issues.
AWS_ACCESS_KEY_ID = "STANDINACCESSKEYID"
AWS_SECRET_ACCESS_KEY = "stand-in-secret-access-key"
AZURE_ACCOUNT_KEY = "stand-in-account-key=="


def substitute(environment: Mapping[str, str], replacements: Mapping[str, str]) -> dict[str, str]:
    """`environment` with every stand-in value replaced; each stand-in must occur."""
    missing = set(replacements) - set(environment.values())
    assert not missing, f"the program's output does not carry the stand-ins {sorted(missing)}"
    return {name: replacements.get(value, value) for name, value in environment.items()}


def env_list(text: str) -> dict[str, str]:
    """env.list lines as Docker Compose reads them: NAME=value, value taken literally."""
    return dict(line.split("=", 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))
