"""The stand-in cloud: every provider's made-up answers, from each registered cloud's
`stand_ins` module (and Kubernetes'), behind the SDK's Mocks interface. Nothing is contacted."""

from __future__ import annotations

import json
from typing import Any

from components import registry
from components.kubernetes import stand_ins as kubernetes_stand_ins
from components.stand_ins import StandIns, auto_name

STACK_REFERENCE = "pulumi:pulumi:StackReference"


class StandInCloud:
    """What the providers would answer, made up deterministically; a type no provider's
    stand-ins know gets its inputs echoed back, with its `name` (or a made-up one) as its id.
    Another stack's outputs, read through a StackReference, are stand-ins too."""

    def __init__(self, config: dict[str, str]):
        self.config = config
        self.clouds: dict[str, StandIns] = {
            cloud: registry.part(cloud, "stand_ins").StandIns(config) for cloud in registry.BACKENDS
        }
        self.providers: dict[str, StandIns] = {
            registry.part(cloud, "stand_ins").PROVIDER: stand_ins for cloud, stand_ins in self.clouds.items()
        }
        self.providers[kubernetes_stand_ins.PROVIDER] = kubernetes_stand_ins.StandIns(config)

    def stack_outputs(self, stack: str) -> dict[str, Any]:
        """A stand-in for each output of `stack` that a setting (`{fromStack, output}` in a
        cloud's object) reads, as the cloud's stand-ins would make it, else a made-up text."""
        outputs: dict[str, Any] = {}
        for cloud, stand_ins in self.clouds.items():
            try:
                settings = json.loads(self.config.get(f"labelstudio:{cloud}") or "{}")
            except ValueError:
                continue
            for setting, value in settings.items() if isinstance(settings, dict) else ():
                if isinstance(value, dict) and value.get("fromStack") == stack and isinstance(value.get("output"), str):
                    answer = stand_ins.stack_output(setting)
                    outputs[value["output"]] = answer if answer is not None else f"stand-in-{value['output']}"
        return outputs

    def _for(self, token: str) -> StandIns | None:
        return self.providers.get(token.split(":", 1)[0])

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        if args.typ == STACK_REFERENCE:
            stack = str(inputs.get("name") or args.name)
            return stack, {"name": stack, "outputs": self.stack_outputs(stack), "secretOutputNames": []}
        stand_ins = self._for(args.typ)
        answer = stand_ins.new_resource(args.typ, args.name, inputs) if stand_ins else None
        if answer is None:
            return str(inputs.get("name") or auto_name(args.name)), inputs
        resource_id, state = answer
        return str(resource_id), {**inputs, **state}

    def call(self, args: Any) -> tuple[dict[str, Any], list]:
        stand_ins = self._for(args.token)
        answer = stand_ins.call(args.token, dict(args.args or {})) if stand_ins else None
        return answer or {}, []


class _Mocks:
    """Adapter from the SDK's Mocks interface to StandInCloud."""

    def __init__(self, cloud: StandInCloud):
        self.cloud = cloud

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        return self.cloud.new_resource(args)

    def call(self, args: Any) -> tuple[dict[str, Any], list]:
        return self.cloud.call(args)

    def register_transform(self, transform: Any) -> None:
        pass

    def register_invoke_transform(self, transform: Any) -> None:
        pass
