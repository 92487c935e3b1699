//go:build tools

// Package host pins Pulumi's own Python language host, which `scripts/setup-engine.sh` builds:
// github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python. The host moved to a module
// of its own after sdk/v3 v3.68.0, and the Go module proxy refuses that module at every version
// (403), so v3.68.0 is the newest release of Pulumi's host that builds here.
package host

import _ "github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python"
