//go:build tools

// Package host pins Pulumi's own Node.js language host, which `scripts/setup-engine-langs.sh` builds:
// github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs. Like the Python host it moved to
// a module of its own after sdk/v3 v3.68.0, which the Go module proxy refuses at every version (403),
// so v3.68.0 is the newest release of Pulumi's host that builds here. It is the same sdk/v3 module the
// Python host is built from, so its build reuses that one's compiled packages.
package host

import _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
