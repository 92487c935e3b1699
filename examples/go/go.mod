module label-studio-go

go 1.26.6

require (
	example.com/pulumi-labelstudio/sdk/go v0.0.0
	github.com/pulumi/pulumi/sdk/v3 v3.274.1
)

// Where `pulumi package add` puts the generated SDK.
replace example.com/pulumi-labelstudio/sdk/go => ./sdks/labelstudio
