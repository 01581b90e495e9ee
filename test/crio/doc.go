// Package crio is the CRI-O tier: the integration tests that run the scan
// against a private CRI-O (test/harness StartCRIOLab) instead of
// containerd — the compliant matrix, the mistranslations CRI-O can
// express, CRI-O's own privileged capability sets, and captures of its
// verbose status. make test-crio builds CRI-O once (test/crio.sh) and runs
// it with each default runtime (crun, runc); without RTAUDIT_CRIO the
// tests skip (fail under RTAUDIT_REQUIRE_CRIO=1).
//
// Like test/integration it imports the product (agent/...) and the
// harness; the harness never imports the product.
package crio
