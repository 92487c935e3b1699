"""Run `__main__.py` for a stack file under the Pulumi SDK's mocks, and record what it declares.

This is the engine of the credential-free plan and of the program tests. It runs the real
program the way the Pulumi language host does (`run_in_stack`), with the stack file's
configuration encoded the way the CLI encodes it, against a mock monitor that records every
registration whole: inputs with their secret markers where they really are, parent, protect,
dependencies and the stack's outputs. Values a cloud would assign (ids, ARNs, keys) are
deterministic stand-ins, each cloud's own (`components/<cloud>/stand_ins.py`).

Its jobs, one module each: `stack_files` (reading stack files, encoding config as the CLI
does), `values` (secrets, references and the wire encoding), `recording` (the recording
monitor and what it keeps), `stand_ins` (the stand-in cloud) and `run` (running the program).
"""

from components.aws.stand_ins import ACCOUNT
from tools.mockrun.recording import (
    ROOT_STACK_TYPE,
    Declaration,
    Registration,
    engine_urn,
    monitor_class,
    registration_of,
)
from tools.mockrun.run import declare, run_program, run_stack_file
from tools.mockrun.stack_files import (
    PROJECT_DIR,
    SECURE_PLACEHOLDER,
    Decrypted,
    StackFileError,
    config_problems,
    encode_config,
    load_yaml_file,
    project_dir_for,
    project_of,
    read_stack_config,
    stack_name_of,
)
from tools.mockrun.stand_ins import StandInCloud
from tools.mockrun.values import (
    RESOURCE_SIG,
    SECRET_SIG,
    SIG_KEY,
    Leaf,
    Ref,
    Secret,
    from_proto,
    leaves,
    mask,
    reveal,
)

_from_proto = from_proto  # the name tests/harness/provider_host.py imports

__all__ = [
    "ACCOUNT",
    "PROJECT_DIR",
    "RESOURCE_SIG",
    "ROOT_STACK_TYPE",
    "SECRET_SIG",
    "SECURE_PLACEHOLDER",
    "SIG_KEY",
    "Declaration",
    "Decrypted",
    "Leaf",
    "Ref",
    "Registration",
    "Secret",
    "StackFileError",
    "StandInCloud",
    "config_problems",
    "declare",
    "encode_config",
    "engine_urn",
    "from_proto",
    "leaves",
    "load_yaml_file",
    "mask",
    "monitor_class",
    "project_dir_for",
    "project_of",
    "read_stack_config",
    "registration_of",
    "reveal",
    "run_program",
    "run_stack_file",
    "stack_name_of",
]
