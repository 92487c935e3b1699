"""Existing Cloud Storage buckets under the SDK's mocks: used as is (no storage declared) and adopted
(imported by the provider's documented id, protected, never replaced)."""

from __future__ import annotations

from components.gcp.stand_ins import EXISTING_LOCATION
from tests.conftest import GCP_PROJECT as PROJECT
from tests.conftest import gcp_stack, run
from tests.program.test_program_gcp import ACCOUNT, BUCKET, BUCKET_MEMBER, KEY
from tools.mockrun import declare

BUCKET_NAME = "acme-labels"  # gcp_stack's bucket


def test_existing_declares_no_bucket_only_the_account_and_its_grant_on_the_named_bucket():
    declaration = run(gcp_stack(storage="existing", folder="media"))
    assert declaration.error is None
    assert declaration.of_type(BUCKET) == []
    assert declaration.imports == []
    assert declaration.one(BUCKET_MEMBER).inputs["bucket"] == BUCKET_NAME
    assert declaration.one(ACCOUNT).inputs["project"] == PROJECT
    assert declaration.outputs["storage"] == "existing"
    assert declaration.outputs["bucketName"] == BUCKET_NAME
    assert declaration.outputs["location"] == EXISTING_LOCATION


def test_existing_with_keys_declares_the_key_and_nothing_of_storage():
    declaration = run(gcp_stack(storage="existing", folder="media", target="compose", access="key"))
    assert declaration.error is None
    assert declaration.of_type(BUCKET) == []
    assert len(declaration.of_type(KEY)) == 1


def test_adopt_imports_the_bucket_by_project_and_name_protected_under_the_created_urn():
    created = run(gcp_stack(folder="media")).one(BUCKET)
    adopted_run = run(gcp_stack(storage="adopt", folder="media", protect=False))
    adopted = adopted_run.one(BUCKET)
    assert adopted.urn == created.urn
    assert adopted.import_id == f"{PROJECT}/{BUCKET_NAME}"
    assert adopted.protect
    assert [r.urn for r in adopted_run.imports] == [adopted.urn]
    assert adopted_run.outputs["storage"] == "adopt"


def test_adopt_keeps_the_location_the_bucket_has_so_it_is_never_replaced():
    adopted = run(gcp_stack(storage="adopt", folder="media", gcp={"location": "US"})).one(BUCKET)
    assert adopted.inputs["location"] == EXISTING_LOCATION


def test_adopt_hardens_the_bucket_and_leaves_its_cors_alone_unless_told():
    adopted = run(gcp_stack(storage="adopt", folder="media")).one(BUCKET)
    assert adopted.inputs["uniformBucketLevelAccess"] is True
    assert adopted.inputs["publicAccessPrevention"] == "enforced"
    assert adopted.inputs["versioning"] == {"enabled": True}
    assert "cors" not in adopted.inputs and adopted.ignore_changes == ["cors"]

    managed = run(gcp_stack(storage="adopt", folder="media", manageCors=True)).one(BUCKET)
    assert managed.inputs["cors"][0]["origins"] == ["https://label.example.com"]
    assert managed.ignore_changes == []


def test_created_bucket_keeps_its_cors():
    created = run(gcp_stack()).one(BUCKET)
    assert created.inputs["cors"][0]["origins"] == ["https://label.example.com"]
    assert created.ignore_changes == []


def test_existing_with_manage_cors_is_refused_naming_adopt():
    declaration = declare(gcp_stack(storage="existing", folder="media", manageCors=True))
    assert declaration.error is not None and "manageCors" in declaration.error and "adopt" in declaration.error
    assert "Traceback" not in declaration.error


def test_plan_warns_about_an_empty_folder_on_an_existing_bucket():
    declaration = run(gcp_stack(storage="existing"))
    assert any("labelstudio:folder is empty" in warning for warning in declaration.warnings)
