// Package clustercli is the command line of clusterctl: build the
// Kubernetes binaries, bring a persistent dev cluster up and down. It
// imports test/cluster only; product packages must not import it.
package clustercli
