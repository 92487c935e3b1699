// Command sdkgen writes a Pulumi package's SDK for one language with Pulumi's own code generators,
// the ones pkg/v3 of the CLI's release holds (codegen/nodejs, codegen/python, codegen/go):
//
//	sdkgen --language nodejs|python|go [--local] --out DIR SCHEMA.json
//
// --local generates the SDK as `pulumi package add` does (a local SDK: for Node.js, compiled by its
// own postinstall script when installed).
//
// `pulumi package gen-sdk` hands generation to the language host's GeneratePackage, which the only
// hosts the Go module proxy serves (sdk/v3 v3.68.0's Node.js and Python hosts) do not implement, and
// no Go host is served at all. This binds the schema `pulumi package get-schema` printed, as the
// current hosts do (schema.BindSpec), and calls the same GeneratePackage function they call; nothing
// of the generated code is written here.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	nodejsgen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	pythongen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// tool names the generator in each generated file's header.
const tool = "pulumi-sdkgen (Pulumi's pkg/v3 codegen)"

// noDependencies is the schema loader: the package's schema references no other package, so any
// request to load one is a mistake worth stopping on.
type noDependencies struct{}

var errDependency = errors.New("sdkgen: the schema references another package; sdkgen loads none")

func (noDependencies) LoadPackage(string, *semver.Version) (*schema.Package, error) {
	return nil, errDependency
}

func (noDependencies) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errDependency
}

func (noDependencies) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errDependency
}

func (noDependencies) LoadPackageReferenceV2(
	context.Context, *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, errDependency
}

func generate(language string, local bool, pkg *schema.Package, loader schema.ReferenceLoader) (map[string][]byte, error) {
	switch language {
	case "nodejs":
		return nodejsgen.GeneratePackage(tool, pkg, nil, nil, local, loader)
	case "python":
		return pythongen.GeneratePackage(tool, pkg, nil, loader)
	case "go":
		return gogen.GeneratePackage(tool, pkg, nil)
	}
	return nil, fmt.Errorf("sdkgen: unknown language %q: give nodejs, python or go", language)
}

func run() error {
	language := flag.String("language", "", "nodejs, python or go")
	out := flag.String("out", "", "the folder to write the SDK into (emptied first)")
	local := flag.Bool("local", false, "generate a local SDK, as `pulumi package add` does")
	flag.Parse()
	if flag.NArg() != 1 || *out == "" {
		return errors.New("usage: sdkgen --language nodejs|python|go [--local] --out DIR SCHEMA.json")
	}
	data, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("sdkgen: %s is not a package schema: %w", flag.Arg(0), err)
	}
	loader := noDependencies{}
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{})
	if err != nil {
		return err
	}
	for _, diag := range diags {
		fmt.Fprintln(os.Stderr, diag.Error())
	}
	if diags.HasErrors() {
		return errors.New("sdkgen: the schema does not bind")
	}
	files, err := generate(*language, *local, pkg, loader)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(*out); err != nil {
		return err
	}
	for name, content := range files {
		path := filepath.Join(*out, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
