// Label Studio's storage and release from Go: the program examples/yaml declares, through the
// SDK `pulumi package add` generates.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"example.com/pulumi-labelstudio/sdk/go/labelstudio"
	"example.com/pulumi-labelstudio/sdk/go/labelstudio/aws"
	"example.com/pulumi-labelstudio/sdk/go/labelstudio/kubernetes"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		conf := config.New(ctx, "")
		// Both components are named "labelstudio", as the Python program names them, so a stack
		// moving between the two keeps every resource's URN.
		storage, err := aws.NewStorage(ctx, "labelstudio", &aws.StorageArgs{
			Bucket:          pulumi.String("acme-label-studio-media"),
			Region:          pulumi.String("eu-west-1"),
			Access:          "irsa",
			OidcProviderArn: pulumi.String(conf.Require("oidcProviderArn")),
			CorsOrigins:     pulumi.StringArray{pulumi.String("https://label.example.com")},
			Folder:          pulumi.StringRef("label-studio"),
			RetentionDays:   pulumi.IntRef(30),
			// The only workloads the role trusts: the chart's service account for release
			// label-studio (the release's serviceAccounts output lists them).
			TrustedWorkloads: &labelstudio.TrustedWorkloadsArgs{
				Namespace:       "label-studio",
				Name:            pulumi.StringRef("label-studio"),
				ServiceAccounts: map[string]string{"app": "label-studio-ls-app"},
			},
		})
		if err != nil {
			return err
		}
		release, err := kubernetes.NewLabelStudio(ctx, "labelstudio", &kubernetes.LabelStudioArgs{
			Storage:   storage.Connection,
			Namespace: pulumi.StringRef("label-studio"),
			Release:   pulumi.StringRef("label-studio"),
			Host:      pulumi.StringRef("https://label.example.com"),
		})
		if err != nil {
			return err
		}
		ctx.Export("bucketName", storage.BucketName)
		ctx.Export("roleArn", storage.RoleArn)
		ctx.Export("serviceAccounts", release.ServiceAccounts)
		return nil
	})
}
