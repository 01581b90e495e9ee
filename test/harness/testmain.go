package harness

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"testing"
)

// RequireEnv, when set to 1, turns "cannot start a lab here" into a test
// failure instead of a skip: CI sets it so the integration tests must run.
const RequireEnv = "RTAUDIT_REQUIRE_LAB"

var shared struct {
	sync.Mutex
	lab    *Lab
	reason string // why there is no lab
}

// RunMain is for TestMain: it starts one lab for the whole test package,
// runs the tests, and stops the lab even when tests fail or on SIGINT and
// SIGTERM. Tests get the lab from SharedLab. It returns the exit code.
//
//	func TestMain(m *testing.M) { os.Exit(harness.RunMain(m)) }
func RunMain(m *testing.M) int {
	if err := Available(); err != nil {
		shared.reason = err.Error()
		if os.Getenv(RequireEnv) == "1" {
			fmt.Fprintf(os.Stderr, "%s=1 but no lab can start: %v\n", RequireEnv, err)
			return 1
		}
		return m.Run()
	}
	SweepStale("/var/tmp/rtaudit-test-*")
	dir, err := os.MkdirTemp("/var/tmp", "rtaudit-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	lab, err := StartLab(context.Background(), Options{Dir: dir}, "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		_ = os.RemoveAll(dir)
		return 1
	}
	shared.lab = lab
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(os.Stderr, "harness: %v: stopping the lab in %s\n", s, dir)
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

// SharedLab returns the package's lab started by RunMain, skipping the test
// (or failing it under RTAUDIT_REQUIRE_LAB=1) when there is none.
func SharedLab(t testing.TB) *Lab {
	t.Helper()
	if shared.lab == nil {
		reason := shared.reason
		if reason == "" {
			reason = "harness.RunMain was not called from TestMain"
		}
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("no lab: %s", reason)
		}
		t.Skipf("no lab: %s", reason)
	}
	return shared.lab
}

// NewTestLab starts a dedicated lab for one test in t.TempDir-like storage
// and stops it in t.Cleanup.
func NewTestLab(t testing.TB) *Lab {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	SweepStale("/var/tmp/rtaudit-lab-*")
	dir, err := os.MkdirTemp("/var/tmp", "rtaudit-lab-")
	if err != nil {
		t.Fatal(err)
	}
	lab, err := StartLab(context.Background(), Options{Dir: dir}, "")
	if err != nil {
		_ = os.RemoveAll(dir)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Stop(); err != nil {
			t.Error(err)
		}
	})
	return lab
}
