package harness

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// RequireCRIOEnv, when set to 1, turns "cannot start a CRI-O lab here"
// into a failure instead of a skip (make test-crio sets it). It is apart
// from RTAUDIT_REQUIRE_LAB: CRI-O is built on demand (test/crio.sh), and a
// plain `go test ./...` without RTAUDIT_CRIO skips the CRI-O tier.
const RequireCRIOEnv = "RTAUDIT_REQUIRE_CRIO"

var sharedCRIO struct {
	lab    *CRIOLab
	reason string
}

// RunCRIOMain is RunMain for a CRI-O lab: one lab for the test package,
// stopped after the tests, on failure and on SIGINT/SIGTERM.
func RunCRIOMain(m *testing.M) int {
	if err := CheckCRIOPrerequisites(CRIOOptions{}); err != nil {
		sharedCRIO.reason = err.Error()
		if os.Getenv(RequireCRIOEnv) == "1" {
			fmt.Fprintf(os.Stderr, "%s=1 but no CRI-O lab can start: %v\n", RequireCRIOEnv, err)
			return 1
		}
		return m.Run()
	}
	SweepStaleCRIO("/var/tmp/rtaudit-crio-*")
	dir, err := os.MkdirTemp("/var/tmp", "rtaudit-crio-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	lab, err := StartCRIOLab(context.Background(), CRIOOptions{Dir: dir}, "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		_ = os.RemoveAll(dir)
		return 1
	}
	sharedCRIO.lab = lab
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(os.Stderr, "harness: %v: stopping the CRI-O lab in %s\n", s, dir)
			_ = lab.Stop()
			os.Exit(130)
		case <-done:
		}
	}()
	code := m.Run()
	close(done)
	signal.Stop(sigs)
	if err := lab.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// SharedCRIOLab returns the package's CRI-O lab, skipping the test (or
// failing it under RTAUDIT_REQUIRE_CRIO=1) when there is none.
func SharedCRIOLab(t testing.TB) *CRIOLab {
	t.Helper()
	if sharedCRIO.lab == nil {
		reason := sharedCRIO.reason
		if reason == "" {
			reason = "harness.RunCRIOMain was not called from TestMain"
		}
		if os.Getenv(RequireCRIOEnv) == "1" {
			t.Fatalf("no CRI-O lab: %s", reason)
		}
		t.Skipf("no CRI-O lab: %s", reason)
	}
	return sharedCRIO.lab
}
