import * as pulumi from "@pulumi/pulumi";
import * as labelstudio from "@pulumi/labelstudio";

const config = new pulumi.Config();
const issuer = config.get("issuer") ?? "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";

// The cluster's IAM OIDC provider: what `new aws.iam.OpenIdConnectProvider(...)` of @pulumi/aws
// declares (same type token and inputs), written out so the example needs no 100 MB provider SDK.
class OpenIdConnectProvider extends pulumi.CustomResource {
    declare public readonly arn: pulumi.Output<string>;

    constructor(name: string, args: { url: string; clientIdLists: string[] }, opts?: pulumi.CustomResourceOptions) {
        super("aws:iam/openIdConnectProvider:OpenIdConnectProvider", name, { ...args, arn: undefined }, opts);
    }
}

const oidc = new OpenIdConnectProvider("cluster-oidc", {
    url: `https://${issuer}`,
    clientIdLists: ["sts.amazonaws.com"],
});
const oidcProviderArn = oidc.arn;

// One bucket per AWS account: its name comes from the account the OIDC provider lives in, so the
// component checks it once the account is known (a bad prefix fails `pulumi up`, not the preview).
// Named "labelstudio" as the Python program names its component, so the two keep the same URNs.
const account = oidcProviderArn.apply((arn) => arn.split(":")[4]);
const bucketPrefix = config.get("bucketPrefix") ?? "acme-label-studio";
const storage = new labelstudio.aws.Storage("labelstudio", {
    bucket: pulumi.interpolate`${bucketPrefix}-${account}`,
    region: config.get("region") ?? "eu-west-1",
    access: "irsa",
    oidcProviderArn,
    corsOrigins: [config.get("origin") ?? "https://label.example.com"],
    trustedWorkloads: {
        namespace: "label-studio",
        name: "label-studio",
        serviceAccounts: { app: "label-studio-ls-app" },
    },
});

export const bucketName = storage.bucketName;
export const roleArn = storage.roleArn;
