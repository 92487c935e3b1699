import * as pulumi from "@pulumi/pulumi";
import * as labelstudio from "@pulumi/labelstudio";

const config = new pulumi.Config();

// The bucket, a bucket-scoped Google service account, and Workload Identity for exactly the
// chart's service account of release "label-studio". Both components are named "labelstudio", as
// the Python program names them, so a stack moving between the two keeps every resource's URN.
const storage = new labelstudio.gcp.Storage("labelstudio", {
    bucket: "acme-label-studio-media",
    project: config.require("project"),
    access: "workload-identity",
    location: "EU",
    corsOrigins: ["https://label.example.com"],
    retentionDays: 90,
    trustedWorkloads: {
        namespace: "label-studio",
        name: "label-studio",
        serviceAccounts: { app: "label-studio-ls-app" },
    },
});

const labelStudio = new labelstudio.kubernetes.LabelStudio("labelstudio", {
    storage: storage.connection,
    namespace: "label-studio",
    release: "label-studio",
    host: "https://label.example.com",
});

export const bucketName = storage.bucketName;
export const serviceAccountEmail = storage.serviceAccountEmail;
export const serviceAccounts = labelStudio.serviceAccounts;
