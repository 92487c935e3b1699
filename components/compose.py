"""Docker Compose target: no cluster resources, only secret outputs to write to disk."""

from __future__ import annotations

import pulumi

from components.env_list import env_list_text
from components.facts import StorageFacts


def env_list_output(facts: StorageFacts) -> pulumi.Output[str]:
    """The env.list text, secret: `pulumi stack output envList --show-secrets > env.list`."""
    names = [name for name, _ in facts.env_list]
    text = pulumi.Output.all(*(value for _, value in facts.env_list)).apply(
        lambda values: env_list_text(zip(names, values, strict=True))
    )
    return pulumi.Output.secret(text)
