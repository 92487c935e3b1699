import * as pulumi from "@pulumi/pulumi";
import * as labelstudio from "@pulumi/labelstudio";

const config = new pulumi.Config();

// The bucket, a bucket-scoped Google service account, and Workload Identity for exactly the
// chart's service accounts of release "label-studio" (Enterprise runs rqworker too).
const storage = new labelstudio.gcp.Storage("label-studio", {
    bucket: "acme-label-studio-media",
    project: config.require("project"),
    access: "workload-identity",
    location: "EU",
    corsOrigins: ["https://label.example.com"],
    retentionDays: 90,
    trustedWorkloads: {
        namespace: "label-studio",
        name: "label-studio",
        serviceAccounts: {
            app: "label-studio-ls-app",
            rqworker: "label-studio-ls-rqworker",
        },
    },
});

const labelStudio = new labelstudio.kubernetes.LabelStudio("label-studio", {
    storage: storage.connection,
    namespace: "label-studio",
    release: "label-studio",
    enterprise: true,
    host: "https://label.example.com",
});

export const bucketName = storage.bucketName;
export const serviceAccountEmail = storage.serviceAccountEmail;
export const serviceAccounts = labelStudio.serviceAccounts;
