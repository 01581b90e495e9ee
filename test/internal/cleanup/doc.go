// Package cleanup is the host clean-up that test/harness and test/cluster
// share: finding and stopping their processes by command line, unmounting
// what is left under a directory, deleting a network link, and finding a
// cgroup directory in every mounted hierarchy.
//
// It is test infrastructure, internal to test/: like its users it must not
// import product code (agent/..., probes, cmd/rtaudit), so the test
// infrastructure stays an independent ground truth.
package cleanup
