module label-studio-storage/tools/engine/language-go

go 1.20

require github.com/pulumi/pulumi/sdk/v3 v3.66.0
