"""Every stack snippet in README.md and docs/*.md plans, and every command the project provides in
them runs, here, as written: a snippet that fails fails CI.

How a snippet says what it is, on its first line (a YAML comment a reader sees too):
- `# Pulumi.<name>.yaml`: a whole stack file. When the project holds a file of that name (the
  root's stacks, examples/), the snippet must be that file's content;
- `# adds to Pulumi.<name>.yaml`: a fragment that completes the named stack file: indented lines
  go under its `config:`, a document's top-level keys beside them; each key replaces the base's
  key of the same name, as pasting it would;
- no marker: not a stack (a Pulumi YAML program, a compose file, an ESC environment), which must
  not hold a `config:` key.

Commands run in a scratch folder holding the snippets' stack files and links to the project's
(so `Pulumi.dev.yaml` and `examples/...` are the real files), with `.venv/bin/python` this
interpreter. Those that need what no test machine has (a Pulumi login and a deployed stack for
`tools.check`, package registries for `scripts/setup*.sh`) run as far as they can: their
arguments are checked against the command's own parser or case list.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.mockrun import reveal, run_stack_file

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FULL = re.compile(r"#\s*(Pulumi\.[A-Za-z0-9_.-]+\.yaml)\s*$")
ADDS = re.compile(r"#\s*adds to (Pulumi\.[A-Za-z0-9_.-]+\.yaml)\b")
NOT_STACKS = {"resources", "services", "values"}  # a Pulumi YAML program, a compose file, an ESC environment


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int
    language: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def blocks(doc: Path) -> list[Block]:
    """The fenced code blocks of a markdown file (any indentation), and its 4-space indented ones."""
    found = []
    lines = doc.read_text().splitlines()
    index = 0
    while index < len(lines):
        opening = re.match(r"^( *)```(\w*)\s*$", lines[index])
        if opening:
            indent, language = len(opening.group(1)), opening.group(2)
            end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
            body = "\n".join(line[indent:] for line in lines[index + 1 : end])
            found.append(Block(doc, index + 2, language, body + "\n"))
            index = end + 1
            continue
        if lines[index].startswith("    ") and (index == 0 or not lines[index - 1].strip()):
            start = index
            while index < len(lines) and (lines[index].startswith("    ") or not lines[index].strip()):
                index += 1
            body = "\n".join(line[4:] for line in lines[start:index]).strip("\n")
            found.append(Block(doc, start + 1, "sh", body + "\n"))
            continue
        index += 1
    return found


def every_block() -> list[Block]:
    return [block for doc in DOCS for block in blocks(doc)]


def stack_blocks() -> list[Block]:
    return [b for b in every_block() if b.language in ("yaml", "yml")]


def shell_blocks() -> list[Block]:
    return [b for b in every_block() if b.language in ("sh", "bash", "shell")]


def project_files() -> dict[str, Path]:
    """The stack files the project ships, by file name."""
    files = sorted(ROOT.glob("Pulumi.*.yaml")) + sorted((ROOT / "examples").glob("Pulumi.*.yaml"))
    return {path.name: path for path in files if path.name != "Pulumi.yaml"}


def _document(block: Block) -> dict[str, Any]:
    """The snippet as a stack file's document; indented lines are entries of `config:`."""
    lines = [line for line in block.text.splitlines() if not line.startswith("#")]
    content = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if content and all(line.startswith(" ") for line in content):
        document = {"config": yaml.safe_load(textwrap.dedent("\n".join(lines)))}
    else:
        document = yaml.safe_load(block.text)
    assert isinstance(document, dict), f"{block.where}: not a YAML mapping"
    return document


@cache
def snippet_stacks() -> dict[str, tuple[dict[str, Any], str]]:
    """Each named stack file of the docs, fragments applied: name -> (document, where)."""
    stacks: dict[str, tuple[dict[str, Any], str]] = {}
    fragments = []
    for block in stack_blocks():
        first = block.text.splitlines()[0].strip()
        full, adds = FULL.fullmatch(first), ADDS.match(first)
        if full:
            document = _document(block)
            name = full.group(1)
            assert name not in stacks or stacks[name][0] == document, f"{block.where}: {name} written twice, unlike"
            stacks[name] = (document, block.where)
        elif adds:
            fragments.append((adds.group(1), block))
    return stacks


def complete(block: Block) -> tuple[str, dict[str, Any]]:
    """The stack file a snippet is, or completes: (its name, its document)."""
    first = block.text.splitlines()[0].strip()
    full, adds = FULL.fullmatch(first), ADDS.match(first)
    document = _document(block)
    if full:
        return full.group(1), document
    assert adds, f"{block.where}: a stack snippet must start with '# Pulumi.<name>.yaml' or '# adds to ...'"
    base_name = adds.group(1)
    if base_name in snippet_stacks():
        base = snippet_stacks()[base_name][0]
    else:
        assert base_name in project_files(), f"{block.where}: no snippet or project file {base_name}"
        base = yaml.safe_load(project_files()[base_name].read_text())
    merged = {**base, **{key: value for key, value in document.items() if key != "config"}}
    merged["config"] = {**(base.get("config") or {}), **(document.get("config") or {})}
    return f"{base_name.removesuffix('.yaml')}-{block.doc.stem}-{block.line}.yaml", merged


def is_stack_snippet(block: Block) -> bool:
    first = block.text.splitlines()[0].strip()
    if FULL.fullmatch(first) or ADDS.match(first):
        return True
    document = yaml.safe_load(block.text)
    keys = set(document) if isinstance(document, dict) else set()
    assert keys & NOT_STACKS and "config" not in keys and not any(":" in str(k) for k in keys), (
        f"{block.where}: a YAML snippet with config must say which stack file it is or completes"
    )
    return False


STACK_SNIPPETS = [b for b in stack_blocks() if is_stack_snippet(b)]


@pytest.mark.parametrize("block", STACK_SNIPPETS, ids=lambda b: b.where)
def test_every_stack_snippet_plans_as_written(tmp_path, block):
    name, document = complete(block)
    if FULL.fullmatch(block.text.splitlines()[0].strip()) and name in project_files():
        shipped = yaml.safe_load(project_files()[name].read_text())
        assert document == shipped, f"{block.where} is labelled {name} but is not that file"
    path = tmp_path / (name if name.startswith("Pulumi.") else f"Pulumi.{name}")
    path.write_text(yaml.safe_dump(document))
    declaration = run_stack_file(path, ROOT)
    assert declaration.error is None, f"{block.where}:\n{declaration.error}"
    assert declaration.resources or declaration.outputs


def test_the_snippets_cover_every_doc_with_stacks():
    """The markers are there: were none found, every stack snippet would be skipped unseen."""
    docs = {b.doc.name for b in STACK_SNIPPETS}
    assert {"README.md", "aws.md", "gcp.md", "azure.md", "s3-compatible.md", "operations.md"} <= docs
    assert len(STACK_SNIPPETS) >= 20


# -- commands -------------------------------------------------------------------------------------


def _without_comment(line: str) -> str:
    """The line up to a `#` that starts a shell comment (outside quotes, after a blank)."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].rstrip()
    return line.rstrip()


def commands(block: Block) -> list[str]:
    """The block's command lines, continuations joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", block.text)
    return [line for line in map(_without_comment, joined.splitlines()) if line.strip()]


def segments(line: str) -> list[str]:
    return [part.strip() for part in re.split(r"&&|;", line) if part.strip()]


PROJECT_COMMAND = re.compile(r"^(?:\.venv/bin/)?python -m (tools\.\w+)(.*)$")
SCRIPT = re.compile(r"^\./scripts/([\w.-]+\.sh)(.*)$")


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A folder holding the docs' stack files and links to the project's, as a clone would."""
    for name, path in project_files().items():
        if path.parent == ROOT:
            (tmp_path / name).symlink_to(path)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    for name, (document, _) in snippet_stacks().items():
        if name not in project_files():
            (tmp_path / name).write_text(yaml.safe_dump(document))
    return tmp_path


def run_project_command(scratch: Path, segment: str) -> subprocess.CompletedProcess[str]:
    command = f"{shlex.quote(sys.executable)} -m {segment.split(' -m ', 1)[1]}"
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    return subprocess.run(
        ["bash", "-c", command], cwd=scratch, env=environment, capture_output=True, text=True, timeout=300
    )


SHELL_WITH_COMMANDS = [
    b
    for b in shell_blocks()
    if any(PROJECT_COMMAND.match(s) or SCRIPT.match(s) for line in commands(b) for s in segments(line))
]


@pytest.mark.parametrize("block", SHELL_WITH_COMMANDS, ids=lambda b: b.where)
def test_every_project_command_in_the_docs_runs(scratch, block):
    for line in commands(block):
        for segment in segments(line):
            tool = PROJECT_COMMAND.match(segment)
            script = SCRIPT.match(segment)
            if tool and tool.group(1) == "tools.plan":
                result = run_project_command(scratch, segment)
                assert result.returncode == 0, f"{block.where}: {segment}\n{result.stderr}"
            elif tool and tool.group(1) == "tools.check":
                # Needs a Pulumi login and a deployed stack (or its outputs file): the arguments are
                # accepted, and it stops before reaching storage, saying why.
                result = run_project_command(scratch, segment.split(" > ")[0])
                assert result.returncode == 2 and "usage:" not in result.stderr, f"{block.where}: {segment}"
                assert result.stderr.startswith("cannot check:"), result.stderr
            elif tool and tool.group(1) == "tools.settings_reference":
                # --write would rewrite the project's own docs mid-test; checking them runs the same code.
                result = run_project_command(scratch, segment.replace(" --write", ""))
                assert result.returncode == 0, f"{block.where}: {segment}\n{result.stdout}{result.stderr}"
            elif tool and tool.group(1) == "tools.move_uploads":
                # Compose: prints the `docker compose run` to run where the volume is. Kubernetes: reads
                # the Deployment kubectl pipes in, so without a cluster it says what it is missing.
                result = run_project_command(scratch, segment + " < /dev/null")
                if " compose" in segment:
                    assert result.returncode == 0 and "docker compose run" in result.stdout, f"{block.where}: {segment}"
                else:
                    assert result.returncode == 2 and "kubectl get deployment" in result.stderr, result.stderr
            elif tool:
                pytest.fail(f"{block.where}: {segment}: a project command this test does not know how to run")
            elif script:
                # Installing from package registries is for scripts/setup*.sh themselves, not a test:
                # the script exists, parses, and knows the parts the command names.
                path = ROOT / "scripts" / script.group(1)
                assert path.is_file(), f"{block.where}: no {path}"
                assert subprocess.run(["bash", "-n", str(path)]).returncode == 0
                for part in script.group(2).split():
                    assert re.search(rf"^\s*{re.escape(part)}\)", path.read_text(), re.M), (
                        f"{block.where}: {path.name} has no part {part!r}"
                    )


def test_shell_variables_in_the_docs_are_set_before_use():
    """`"$SECRET_KEY"` in a block that never sets it would create a user with an empty password."""
    for block in shell_blocks():
        assigned: set[str] = set()
        for line in commands(block):
            for name in re.findall(r"(?:^|\s|;|&&)\s*([A-Z_][A-Z0-9_]*)=", line):
                assigned.add(name)
            for name in re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", line):
                assert name in assigned or name in ("HOME", "PATH"), f"{block.where}: ${name} is never set"


def test_a_secret_is_created_in_a_namespace_that_exists():
    """A stack with createNamespace false needs the namespace before the Secret in it."""
    for block in shell_blocks():
        created: set[str] = set()
        for line in commands(block):
            made = re.search(r"kubectl create namespace (\S+)", line)
            if made:
                created.add(made.group(1))
            secret = re.search(r"kubectl -n (\S+) create secret", line)
            if secret:
                assert secret.group(1) in created, f"{block.where}: namespace {secret.group(1)} is never created"


# -- what the docs say a stack exports and writes -------------------------------------------------

CLOUD_DOCS = {"aws": "aws.md", "gcp": "gcp.md", "azure": "azure.md", "s3-compatible": "s3-compatible.md"}


@cache
def planned(block: Block) -> Any:
    name, document = complete(block)
    directory = Path(os.environ.get("TMPDIR", "/tmp")) / f"doc-snippets-{os.getpid()}"
    directory.mkdir(exist_ok=True)
    path = directory / (name if name.startswith("Pulumi.") else f"Pulumi.{name}")
    path.write_text(yaml.safe_dump(document))
    return run_stack_file(path, ROOT)


@pytest.mark.parametrize("cloud", sorted(CLOUD_DOCS))
def test_each_cloud_page_lists_every_output_its_stacks_export(cloud):
    doc = ROOT / "docs" / CLOUD_DOCS[cloud]
    paragraph = re.search(r"^Stack outputs: (.*?)\n\n", doc.read_text(), re.S | re.M)
    assert paragraph, f"{doc.name} has no 'Stack outputs:' paragraph"
    listed = set(re.findall(r"`([A-Za-z]+)`", paragraph.group(1)))
    stacks = [b for b in STACK_SNIPPETS if b.doc == doc]
    assert stacks
    for block in stacks:
        declaration = planned(block)
        assert declaration.error is None, block.where
        missing = set(declaration.outputs) - listed
        assert not missing, f"{doc.name} does not list {sorted(missing)}, which {block.where} exports"


def _env_list_samples(doc: Path) -> list[tuple[Block, list[str]]]:
    samples = []
    for block in blocks(doc):
        names = [line.split("=", 1)[0] for line in block.text.splitlines() if re.match(r"^[A-Z0-9_]+=", line)]
        if block.language == "" and names and names[0] == "STORAGE_TYPE":
            samples.append((block, names))
    return samples


def test_each_env_list_sample_names_what_the_stack_before_it_writes():
    """An env.list sample holds the variables, in order, of the compose stack snippet above it."""
    checked = 0
    for doc in DOCS:
        for sample, names in _env_list_samples(doc):
            stacks = [b for b in STACK_SNIPPETS if b.doc == doc and b.line < sample.line]
            compose = [b for b in stacks if (planned(b).outputs.get("target") == "compose")]
            stack = compose[-1] if compose else stacks[-1]
            declaration = planned(stack)
            assert declaration.error is None, stack.where
            env_list = reveal(declaration.outputs.get("envList") or "")
            written = [line.split("=", 1)[0] for line in env_list.splitlines()]
            assert names == written, f"{sample.where} lists {names}; {stack.where} writes {written}"
            checked += 1
    assert checked >= 2
