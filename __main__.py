"""Persistent storage for Label Studio, and the Label Studio that uses it, in one `pulumi up`."""

import pulumi

from components.registry import backend
from components.settings import component_args
from components.settings.stack_file import read_settings, secret_keys

settings = read_settings()
cloud = backend(settings.cloud)
facts = cloud.component("labelstudio", component_args.storage_args(settings, cloud.storage_args)).facts

pulumi.export("cloud", settings.cloud)
pulumi.export("target", settings.target)
pulumi.export("access", settings.access)
pulumi.export("storage", settings.storage)
for key, value in facts.exports.items():
    pulumi.export(key, value)

if settings.target == "kubernetes":
    from components.kubernetes.release import LabelStudioRelease

    release_args = component_args.release_args(settings, facts.connection(), "helmValues" in secret_keys())
    label_studio = LabelStudioRelease("labelstudio", release_args, ready=facts.ready)
    pulumi.export("namespace", label_studio.namespace)
    pulumi.export("releaseName", label_studio.release_name)
    pulumi.export("serviceAccounts", label_studio.service_accounts)

if facts.credentials:
    # The access mode hands out keys: env.list for Docker Compose, and for `tools.check` or
    # a local Label Studio on any target. Secret, like every credential.
    from components.compose import env_list_output

    pulumi.export("envList", env_list_output(facts, settings.host))
    for key, value in facts.compose_outputs.items():
        pulumi.export(key, pulumi.Output.secret(value))
