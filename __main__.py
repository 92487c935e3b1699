"""Persistent storage for Label Studio, and the Label Studio that uses it, in one `pulumi up`."""

import pulumi

from components.stack_config import read_settings, secret_keys
from components.storage import create_storage

settings = read_settings()
storage = create_storage("labelstudio", settings)
facts = storage.facts

pulumi.export("cloud", settings.cloud)
pulumi.export("target", settings.target)
pulumi.export("access", settings.access)
for key, value in facts.exports.items():
    pulumi.export(key, value)

if settings.target == "kubernetes":
    from components.kubernetes import LabelStudioRelease

    label_studio = LabelStudioRelease("labelstudio", settings, facts, secret_user_values="helmValues" in secret_keys())
    pulumi.export("namespace", label_studio.namespace)
    pulumi.export("releaseName", label_studio.release_name)
    pulumi.export("serviceAccounts", settings.service_account_names)

if facts.env_list:
    # The access mode hands out keys: env.list for Docker Compose, and for `tools.check` or
    # a local Label Studio on any target. Secret, like every credential.
    from components.compose import env_list_output

    pulumi.export("envList", env_list_output(facts, settings.host))
    for key, value in facts.compose_outputs.items():
        pulumi.export(key, pulumi.Output.secret(value))
