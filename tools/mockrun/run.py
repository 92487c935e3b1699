"""Running `__main__.py` under the SDK's mocks, the way the Pulumi language host does
(`run_in_stack`), against the recording monitor and the stand-in cloud."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import runpy
import sys
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from tools.mockrun.recording import Declaration, monitor_class
from tools.mockrun.stack_files import (
    PROJECT_DIR,
    StackFileError,
    encode_config,
    project_dir_for,
    project_of,
    read_stack_config,
)
from tools.mockrun.stand_ins import STACK_REFERENCE, StandInCloud, _Mocks


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_program(
    project_dir: Path,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str] | None = None,
    project: str | None = None,
    preview: bool = False,
) -> Declaration:
    """Run `project_dir/__main__.py` under mocks with this configuration."""
    project_dir = Path(project_dir).resolve()
    if project is None:
        project, _ = project_of(project_dir)
    declaration = Declaration(stack=stack, project=project, config=dict(config), secret_keys=list(secret_keys or []))
    context = contextvars.copy_context()
    context.run(_run, project_dir, declaration, preview)
    return declaration


def declare(values: dict[str, Any], stack: str = "test", project_dir: Path = PROJECT_DIR) -> Declaration:
    """Run the program with stack-file style config given as Python values (tests use this)."""
    project, _ = project_of(project_dir)
    try:
        config, secret_keys = encode_config(values, project)
    except StackFileError as error:
        return Declaration(stack=stack, project=project, error=str(error))
    return run_program(project_dir, stack, config, secret_keys, project)


def run_stack_file(stack_file: Path, project_dir: Path | None = None, preview: bool = False) -> Declaration:
    stack_file = Path(stack_file).resolve()
    project_dir = project_dir or project_dir_for(stack_file)
    project, stack, config, secret_keys, notes = read_stack_config(stack_file, project_dir)
    declaration = run_program(project_dir, stack, config, secret_keys, project, preview)
    declaration.notes = notes + declaration.notes
    return declaration


def _unless_failed(declaration: Declaration) -> Callable[[asyncio.AbstractEventLoop, dict[str, Any]], None]:
    """An event loop's handler for exceptions nobody awaited: after a failed run they are the
    failure's echoes (every output derived from it holds the error, tasks cancelled mid-way
    finish in a bad state), and the run's error is already in the declaration; a run that did
    not fail reports them as asyncio would."""

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        import pulumi

        if declaration.error is None and not isinstance(context.get("exception"), pulumi.RunError):
            loop.default_exception_handler(context)

    return handle


def _run(project_dir: Path, declaration: Declaration, preview: bool) -> None:
    import pulumi
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.config import set_all_config
    from pulumi.runtime.stack import run_in_stack

    # Everything the runtime schedules, set_mocks' own root stack included, must live on the
    # loop that runs the program, or the run waits forever on a future of another loop.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.set_exception_handler(_unless_failed(declaration))
    monitor = monitor_class()(_Mocks(StandInCloud(declaration.config)))
    logger = logging.getLogger(f"labelstudio.mockrun.{declaration.stack}")
    logger.propagate = False
    collector = _Collector()
    logger.handlers = [collector]
    pulumi.runtime.set_mocks(
        monitor.mocks,
        project=declaration.project,
        stack=declaration.stack,
        preview=preview,
        logger=logger,
        monitor=monitor,
    )
    # set_mocks leaves a finished root stack behind; the program gets a fresh one, as under the CLI.
    runtime_settings.ROOT.set(None)
    set_all_config(dict(declaration.config), list(declaration.secret_keys))

    main = project_dir / "__main__.py"
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))

    def program() -> None:
        runpy.run_path(str(main), run_name="__main__")

    try:
        loop.run_until_complete(run_in_stack(program))
    except pulumi.RunError as error:
        declaration.error = str(error)
    finally:
        for task in asyncio.all_tasks(loop):
            task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                loop.run_until_complete(task)
        # The mock monitor gives each worker thread an event loop of its own: end the threads,
        # then close their loops here rather than leave them to the garbage collector.
        loop.run_until_complete(loop.shutdown_default_executor())
        for thread_loop in monitor.thread_loops - {loop}:
            thread_loop.close()
        loop.close()
        asyncio.set_event_loop(None)
        # A failed run leaves RPCs and outputs of this loop behind, which the next run would wait on.
        runtime_settings.SETTINGS.rpc_manager.clear()
        with runtime_settings.SETTINGS.lock:
            runtime_settings.SETTINGS.outputs.clear()
    declaration.resources = monitor.registrations
    declaration.outputs = monitor.stack_outputs
    declaration.component_outputs = monitor.component_outputs
    declaration.warnings = collector.messages
    declaration.reads = list(monitor.reads)
    declaration.notes += [
        f"the program reads outputs of stack {name}; this plan uses stand-ins for them"
        for type_, name in monitor.reads
        if type_ == STACK_REFERENCE
    ]
