"""The components as a Pulumi package: a provider other languages' programs construct them through.

`provider/` (PulumiPlugin.yaml, runtime python) runs `serve()`, so `pulumi package add` generates
an SDK for TypeScript, Go, C#, Java or YAML programs from the schema inferred here. The schema
comes from the SDK's component provider (`pulumi.provider.experimental`): each component's
typed `args` and its `pulumi.Output` attributes, described by their docstrings.

Three things on top of what `component_provider_host` does, which is why this subclasses its
ComponentProvider instead of calling it:
- type tokens: the host serves `labelstudio:index:<Class>` only, but a component's type is part
  of every URN under it, and the stacks deployed by this project's program know
  `labelstudio:aws:Storage` and friends. The package keeps those tokens (an SDK gets one module
  per cloud: `aws.Storage`, `gcp.Storage`, ...), so a component has one type wherever it runs;
- secrets: the inferred schema cannot say which outputs are secret; each component lists its
  own in SECRET_OUTPUTS, and the schema marks them;
- arguments a program computes (a bucket name from another resource): the checks that need their
  values run once they resolve (components/argument_checks.py `checked_arguments`); a refusal then still
  reaches the engine as the per-argument InputPropertiesError the checks made up front give;
- object inputs given as one output (YAML's `${storage.connection}`, or any object holding a
  secret, which the engine sends as a secret as a whole): the SDK maps only plain objects to
  Python names and reads an output as empty, so those are mapped once they resolve.
"""

import asyncio
import inspect
import json
import sys
from typing import Any

from pulumi import ComponentResource, Output, ResourceOptions
from pulumi.errors import InputPropertiesError
from pulumi.provider import ConstructResult
from pulumi.provider import main as serve_provider
from pulumi.provider.experimental.analyzer import ComponentDefinition, TypeDefinition
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.util import camel_case
from pulumi.provider.server import ComponentInitError

from components.argument_checks import ArgumentsRefused, holds_output
from components.arguments import ArgumentProblem
from components.kubernetes.release import TYPE_TOKEN as RELEASE_TOKEN
from components.kubernetes.release import LabelStudioRelease
from components.registry import BACKENDS, backend

PACKAGE = "labelstudio"
VERSION = "0.1.0"
# Every component the package serves, under the type token it registers with: each registered
# cloud's storage, and the release.
COMPONENTS: dict[str, type[ComponentResource]] = {
    **{(loaded := backend(cloud)).type_token: loaded.component for cloud in BACKENDS},
    RELEASE_TOKEN: LabelStudioRelease,
}
# Properties of the package's own types that hold secrets: (type name, Python name).
SECRET_TYPE_PROPERTIES = (("StorageConnection", "credentials"),)


def _index_token(component: type[ComponentResource]) -> str:
    """The token the SDK's analyzer gives a component."""
    return f"{PACKAGE}:index:{component.__name__}"


def _element_types_undescribed(prop: dict[str, Any]) -> None:
    """Drop the descriptions the SDK's inference puts on a list's items and a map's values: the
    package schema's type spec has no such field, so `pulumi package get-schema` (and every SDK
    generator) drops them; the property's own description says it all."""
    for key in ("items", "additionalProperties"):
        element = prop.get(key)
        if isinstance(element, dict):
            element.pop("description", None)
            _element_types_undescribed(element)


def package_schema(inferred: dict[str, Any]) -> dict[str, Any]:
    """The inferred schema with each component under its own type token and its secrets marked,
    in the form the CLI reads it back (what `pulumi package get-schema` prints is this schema)."""
    schema = json.loads(json.dumps(inferred))
    if not schema.get("dependencies"):
        schema.pop("dependencies", None)
    schema.setdefault("config", {})
    resources = inferred.get("resources", {})
    schema["resources"] = {}
    for token, component in COMPONENTS.items():
        resource = json.loads(json.dumps(resources[_index_token(component)]))
        resource["description"] = inspect.cleandoc(component.__doc__ or "")
        for name in getattr(component, "SECRET_OUTPUTS", ()):
            resource["properties"][camel_case(name)]["secret"] = True
        schema["resources"][token] = resource
    for type_name, name in SECRET_TYPE_PROPERTIES:
        schema["types"][f"{PACKAGE}:index:{type_name}"]["properties"][camel_case(name)]["secret"] = True
    for resource in schema["resources"].values():
        for prop in (*resource["inputProperties"].values(), *resource["properties"].values()):
            _element_types_undescribed(prop)
    for type_ in schema.get("types", {}).values():
        for prop in type_.get("properties", {}).values():
            _element_types_undescribed(prop)
    return schema


class LabelStudioProvider(ComponentProvider):
    """The SDK's component provider, serving the components under their own type tokens."""

    def __init__(self, version: str = VERSION) -> None:
        super().__init__(list(COMPONENTS.values()), PACKAGE, version=version)
        self.schema = json.dumps(package_schema(json.loads(self.schema or "{}")))

    def construct(
        self, name: str, resource_type: str, inputs: Any, options: ResourceOptions | None = None
    ) -> ConstructResult:
        component = COMPONENTS.get(resource_type)
        if component is None:
            raise ValueError(f"{resource_type} is not a component of {PACKAGE}; it has {', '.join(sorted(COMPONENTS))}")
        self._refuse_bad_arguments(component, name, inputs)
        _quiet_about_reported_refusals(asyncio.get_running_loop())
        try:
            result = super().construct(name, _index_token(component), inputs, options)
        except ComponentInitError as failed:
            # A refusal the constructor makes itself (an output where a plain value is needed,
            # storage adopt's names): per argument and without a stack trace, like the ones above.
            if isinstance(failed.inner, ArgumentsRefused):
                refused = failed.inner
                raise _input_properties_error(refused.component, refused.name, refused.problems) from None
            raise
        return ConstructResult(result.urn, _refused_as_input_errors(result.state))

    def _refuse_bad_arguments(self, component: type[ComponentResource], name: str, inputs: Any) -> None:
        """Report bad arguments as the engine shows them, per property and without a stack trace
        (an error inside a component's constructor reaches the user with one)."""
        check = getattr(component, "argument_problems", None)
        if check is None:
            return
        mapped = self.map_inputs(inputs, self._component_defs[component.__name__])
        # Arguments given as outputs are checked by the component once they resolve; those it needs
        # plain (an import id, known before the deployment starts) it names in `plain_problems`.
        computed = getattr(component, "computed_arguments", {})
        deferred = {key for key in computed if holds_output(mapped.get(key))}
        known = {key: value for key, value in mapped.items() if key not in deferred}
        later = {computed[key] for key in deferred}
        needs_plain = getattr(component, "plain_problems", None)
        problems = [
            *(needs_plain(mapped) if needs_plain else []),
            *(p for p in check(known) if p.argument not in later),
        ]
        if problems:
            raise _input_properties_error(component.__name__, name, problems)

    def map_inputs(self, inputs: Any, component_def: ComponentDefinition) -> Any:
        """Map plain inputs as the SDK does, and object inputs that arrive as outputs once they resolve."""
        deferred: dict[str, tuple[Output[Any], TypeDefinition]] = {}
        for schema_name, value in dict(inputs).items():
            prop = component_def.inputs.get(schema_name)
            type_def = self.get_type_definition(prop) if prop is not None and prop.ref else None
            if isinstance(value, Output) and type_def is not None and not type_def.enum:
                deferred[schema_name] = (value, type_def)
        plain = {key: value for key, value in dict(inputs).items() if key not in deferred}
        properties = {key: prop for key, prop in component_def.inputs.items() if key not in deferred}
        mapped = dict(
            self.map_input_properties(plain, properties, component_def.inputs_mapping, component_def.name, "")
        )
        for schema_name, (value, type_def) in deferred.items():
            mapped[component_def.inputs_mapping[schema_name]] = value.apply(
                self._mapper(type_def, component_def, schema_name)
            )
        return mapped

    def _mapper(self, type_def: TypeDefinition, component_def: ComponentDefinition, path: str) -> Any:
        """Maps a resolved object input of `type_def` to Python names."""

        def map_resolved(resolved: Any) -> Any:
            return self.map_input_properties(
                resolved, type_def.properties, type_def.properties_mapping, component_def.name, path
            )

        return map_resolved


def _input_properties_error(component: str, name: str, problems: list[ArgumentProblem]) -> InputPropertiesError:
    """Problems as the engine shows them: one line per argument, no stack trace."""
    return InputPropertiesError(
        f"{component} {name!r} cannot be built from its arguments: " + "; ".join(map(str, problems)),
        [{"property_path": problem.argument, "reason": problem.sentence} for problem in problems],
    )


def _refused_as_input_errors(state: Any) -> Any:
    """The component's state, with a refusal made once an argument resolved (an ArgumentsRefused
    inside an output) turned into the InputPropertiesError the engine shows per argument."""
    if isinstance(state, dict):
        return {key: _refused_as_input_errors(value) for key, value in state.items()}
    if isinstance(state, list):
        return [_refused_as_input_errors(value) for value in state]
    if not isinstance(state, Output):
        return state

    async def guard(awaitable: Any) -> Any:
        try:
            return await awaitable
        except ArgumentsRefused as refused:
            raise _input_properties_error(refused.component, refused.name, refused.problems) from None

    def task(awaitable: Any) -> asyncio.Future[Any]:
        # The output reads its parts one by one and stops at the first that fails; a part left
        # unread must neither warn "never awaited" nor "never retrieved" on stderr.
        started = asyncio.ensure_future(guard(awaitable))
        started.add_done_callback(lambda done: done.cancelled() or done.exception())
        return started

    return Output(
        task(state.resources()),
        task(state.future(with_unknowns=True)),
        task(state.is_known()),
        task(state.is_secret()),
    )


def _quiet_about_reported_refusals(loop: asyncio.AbstractEventLoop) -> None:
    """Keep a refusal made once an argument resolved off the plugin's stderr, which the engine shows
    the user line by line: it reaches them once, as the component's error (above). Every child that
    waited for the refused value fails with it too, and the SDK leaves those children's futures
    unread, so asyncio would print each one's traceback ("Future exception was never retrieved")
    whenever the garbage collector finds them, thousands of lines in a long-lived plugin."""
    if getattr(loop.get_exception_handler(), "quiets_refusals", False):
        return
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if isinstance(context.get("exception"), ArgumentsRefused):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    handler.quiets_refusals = True  # type: ignore[attr-defined]
    loop.set_exception_handler(handler)


def serve(args: list[str] | None = None) -> None:
    """Run the provider as the engine starts a plugin: `<engine address>` in, the gRPC port printed."""
    serve_provider(LabelStudioProvider(), sys.argv[1:] if args is None else args)
