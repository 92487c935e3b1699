"""The stand-in cloud: every provider's made-up answers, from each registered cloud's
`stand_ins` module (and Kubernetes'), behind the SDK's Mocks interface. Nothing is contacted."""

from __future__ import annotations

from typing import Any

from components import registry
from components.kubernetes import stand_ins as kubernetes_stand_ins
from components.stand_ins import StandIns, auto_name


class StandInCloud:
    """What the providers would answer, made up deterministically; a type no provider's
    stand-ins know gets its inputs echoed back, with its `name` (or a made-up one) as its id."""

    def __init__(self, config: dict[str, str]):
        modules = [registry.part(cloud, "stand_ins") for cloud in registry.BACKENDS] + [kubernetes_stand_ins]
        self.providers: dict[str, StandIns] = {module.PROVIDER: module.StandIns(config) for module in modules}

    def _for(self, token: str) -> StandIns | None:
        return self.providers.get(token.split(":", 1)[0])

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
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
