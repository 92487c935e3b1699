//go:build tools

// Package host pins Pulumi's own Go language host, which `scripts/setup-engine-langs.sh` builds:
// github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go. It moved to a module of its own after sdk/v3
// v3.66.0, which the Go module proxy refuses at every version (403), so v3.66.0 is the newest
// release of Pulumi's Go host that builds here. It only builds and runs the program; the program
// itself talks to the engine through the Go SDK its own go.mod pins.
package host

import _ "github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go"
