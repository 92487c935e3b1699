"""Docker Compose target: no cluster resources, only secret outputs to write to disk."""

from __future__ import annotations

import pulumi

from components.env_list import env_list_lines, env_list_text
from components.facts import StorageFacts


def env_list_output(facts: StorageFacts, host: str | None) -> pulumi.Output[str]:
    """The env.list text, secret: `pulumi stack output envList --show-secrets > env.list`."""
    lines = env_list_lines(facts.storage_type, facts.settings, facts.credentials, host, facts.trusted_authority)
    names = [name for name, _ in lines]
    text = pulumi.Output.all(*(value for _, value in lines)).apply(
        lambda values: env_list_text(zip(names, values, strict=True))
    )
    return pulumi.Output.secret(text)
