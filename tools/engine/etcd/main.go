// Command etcd is etcd's own server entry point, built from the published go.etcd.io modules so
// the engine tests get a store for kube-apiserver without downloading a release binary.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
