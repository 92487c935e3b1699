"""The workflows' trust model, read from the files themselves: who can run what against which
environment, and with which permissions. (actionlint checks the syntax; this checks the intent.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness.check_runner import ROOT

GITHUB = ROOT / ".github"
WORKFLOWS = {path.name: path for path in sorted((GITHUB / "workflows").glob("*.yml"))}
DEPLOY_ENVIRONMENTS = {"dev", "staging", "prod"}
ON_MAIN = "github.ref == 'refs/heads/main'"


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    if True in document:  # YAML 1.1 reads the key `on` as true
        document["on"] = document.pop(True)
    return dict(document)


def jobs(name: str) -> dict[str, dict[str, Any]]:
    return dict(load(WORKFLOWS[name])["jobs"])


def calls_of_pulumi(name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_id, job in jobs(name).items():
        if job.get("uses") == "./.github/workflows/pulumi.yml":
            yield job_id, job


def test_every_third_party_action_is_pinned_to_a_commit_with_its_version_beside_it():
    files = [*WORKFLOWS.values(), *(GITHUB / "actions").glob("*/action.yml")]
    pinned = 0
    for path in files:
        for line in path.read_text().splitlines():
            match = re.search(r"uses:\s*(\S+)(.*)", line)
            if not match or match.group(1).startswith("./"):
                continue
            action, rest = match.groups()
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), f"{path.name}: {action} is not pinned"
            assert re.fullmatch(r"\s*# v\d+(\.\d+)*", rest), f"{path.name}: {action} lacks its version comment"
            pinned += 1
    assert pinned >= 10


def test_dependabot_keeps_every_action_directory_current():
    config = yaml.safe_load((GITHUB / "dependabot.yml").read_text())
    directories = {
        directory
        for update in config["updates"]
        if update["package-ecosystem"] == "github-actions"
        for directory in update["directories"]
    }
    actions = {f"/{path.parent.relative_to(ROOT)}" for path in (GITHUB / "actions").glob("*/action.yml")}
    assert directories >= {"/"} | actions


def test_no_workflow_hands_all_its_secrets_to_another():
    for name in WORKFLOWS:
        for job_id, job in jobs(name).items():
            assert job.get("secrets") != "inherit", f"{name}: job {job_id} inherits every secret"


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_every_job_states_its_own_permissions_and_the_default_is_read_only(name):
    assert load(WORKFLOWS[name])["permissions"] == {"contents": "read"}
    for job_id, job in jobs(name).items():
        assert "permissions" in job, f"{name}: job {job_id} takes the default permissions"
        assert "write-all" not in str(job["permissions"])


def test_deploys_run_from_main_only_and_cannot_write_to_pull_requests():
    workflow = load(WORKFLOWS["deploy.yml"])
    assert workflow["on"]["push"] == {"branches": ["main"]}
    deploys = dict(calls_of_pulumi("deploy.yml"))
    assert {job["with"]["environment"] for job in deploys.values()} == DEPLOY_ENVIRONMENTS
    for job_id, job in deploys.items():
        assert job["with"]["command"] == "up"
        assert ON_MAIN in job["if"], f"deploy job {job_id} can run from any branch (workflow_dispatch)"
        assert job["permissions"] == {"contents": "read", "id-token": "write"}


def test_the_reusable_job_runs_up_only_from_main_and_holds_no_pull_request_permission():
    (job,) = jobs("pulumi.yml").values()
    assert "inputs.command == 'up' && " + ON_MAIN in job["if"]
    assert job["permissions"] == {"contents": "read", "id-token": "write"}


def test_pull_requests_never_deploy_and_never_reach_a_deploy_environment():
    assert set(load(WORKFLOWS["pull-request.yml"])["on"]) == {"pull_request"}  # never pull_request_target
    previews = dict(calls_of_pulumi("pull-request.yml"))
    assert previews
    for job_id, job in previews.items():
        assert job["with"]["command"] == "preview"
        assert job["with"]["environment"].endswith("-preview")
        assert "head.repo.full_name == github.repository" in job["if"], f"{job_id} runs for forks"


def test_the_job_holding_cloud_credentials_installs_only_what_pulumi_runs():
    (job,) = jobs("pulumi.yml").values()
    commands = "\n".join(step.get("run", "") for step in job["steps"])
    for forbidden in ("setup.sh", "requirements-dev", "npm", "node"):
        assert forbidden not in commands, f"pulumi.yml runs {forbidden}"
    assert "--only-binary=:all: -r requirements.txt" in commands
    assert not any("setup-node" in step.get("uses", "") for step in job["steps"])


def test_checkouts_leave_no_token_in_the_working_copy():
    for name in WORKFLOWS:
        for job in jobs(name).values():
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step.get("with", {}).get("persist-credentials") is False, name
