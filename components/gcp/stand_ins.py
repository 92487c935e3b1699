"""The plan's stand-ins for what Google Cloud assigns: service-account emails, key files, bucket URLs.

Nothing is contacted; every value is made up from the resource's name (components/stand_ins.py).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from components.stand_ins import Answer, auto_name, suffix

PROVIDER = "gcp"
# The project's Cloud Storage service agent, as getProjectServiceAccount answers.
# Where the stand-in's existing buckets are: not the settings' default, so the plan shows the location read.
EXISTING_LOCATION = "EUROPE-WEST4"
SERVICE_AGENT = "service-000000000000@gs-project-accounts.iam.gserviceaccount.com"


class StandIns:
    def __init__(self, config: dict[str, str]):
        self.project = config.get("gcp:project") or "example-project"
        self.note = (
            f"Google Cloud emails and names are in project {self.project}, from gcp:project"
            if config.get("gcp:project")
            else "Google Cloud project example-project in emails is a stand-in: the stack sets no gcp:project"
        )

    def new_resource(self, kind: str, name: str, inputs: dict[str, Any]) -> Answer | None:
        default_id = str(inputs.get("name") or auto_name(name))
        if kind == "gcp:serviceaccount/account:Account":
            email = f"{inputs.get('accountId')}@{self.project}.iam.gserviceaccount.com"
            resource_name = f"projects/{self.project}/serviceAccounts/{email}"
            return resource_name, {"email": email, "member": f"serviceAccount:{email}", "name": resource_name}
        if kind == "gcp:serviceaccount/key:Key":
            key_file = {
                "type": "service_account",
                "project_id": self.project,
                "private_key_id": suffix(name),
                "private_key": "stand-in",
            }
            return default_id, {"privateKey": base64.b64encode(json.dumps(key_file).encode()).decode()}
        if kind == "gcp:storage/bucket:Bucket":
            bucket = inputs.get("name")
            return default_id, {
                "url": f"gs://{bucket}",
                "selfLink": f"https://www.googleapis.com/storage/v1/b/{bucket}",
            }
        return None

    def call(self, token: str, args: dict[str, Any]) -> dict[str, Any] | None:
        if token == "gcp:storage/getProjectServiceAccount:getProjectServiceAccount":
            return {"emailAddress": SERVICE_AGENT, "project": self.project}
        if token == "gcp:storage/getBucket:getBucket":
            # An existing bucket read as is: Cloud Storage's defaults, which `check` warns about.
            bucket = args.get("name")
            return {
                "name": bucket,
                "project": args.get("project") or self.project,
                "location": EXISTING_LOCATION,
                "url": f"gs://{bucket}",
                "selfLink": f"https://www.googleapis.com/storage/v1/b/{bucket}",
                "uniformBucketLevelAccess": False,
                "publicAccessPrevention": "inherited",
                "versionings": [],
                "cors": [],
            }
        return None

    def stack_output(self, setting: str) -> Any | None:
        """The cluster facts a GKE stack exports, as stand-ins."""
        return {"clusterProject": "gke-stand-in-project"}.get(setting)
