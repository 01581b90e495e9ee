// Command clusterctl builds the Kubernetes binaries of test/cluster and runs
// a persistent single-node dev cluster (etcd, kube-apiserver, kubelet on a
// private containerd) for the Makefile:
//
//	clusterctl build  [--cache DIR]              build and cache the binaries
//	clusterctl up     [--dir D] [--node-name N]  start it in the background
//	clusterctl status [--dir D]                  print kubeconfig and endpoint
//	clusterctl down   [--dir D]                  stop everything and remove D
package main

import (
	"fmt"
	"os"

	"github.com/rtaudit/rtaudit/test/cluster/clustercli"
)

func main() {
	if err := clustercli.Run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "clusterctl:", err)
		os.Exit(1)
	}
}
