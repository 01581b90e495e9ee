package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Environment switches for tests.
const (
	// RequireEnv=1 turns "no cluster here" into a failure (CI sets it); the
	// binaries are then built when missing.
	RequireEnv = "RTAUDIT_REQUIRE_CLUSTER"
	// EnableEnv=1 allows building the binaries (minutes) when they are not
	// cached; without it, and without RequireEnv, tests skip instead.
	EnableEnv = "RTAUDIT_CLUSTER"
)

// testDirGlob matches the directories RunMain creates.
const testDirGlob = "/var/tmp/rtaudit-cluster-test-*"

var shared struct {
	sync.Mutex
	cluster *Cluster
	reason  string     // why there is no cluster
	extras  []*Cluster // started by Extra, stopped on a signal too
}

// Usable reports why tests cannot have a cluster here, or nil: not root,
// a missing prerequisite, or binaries neither cached nor allowed to build.
func Usable() error {
	if err := Available(); err != nil {
		return err
	}
	if !Cached("") && os.Getenv(EnableEnv) != "1" && os.Getenv(RequireEnv) != "1" {
		return fmt.Errorf("cluster: Kubernetes %s binaries not cached in %s (run make cluster-build, or set %s=1 to build them now)", Version, DefaultCacheDir(), EnableEnv)
	}
	return nil
}

// RunMain is for TestMain: it starts one cluster for the whole test
// package, runs the tests, and stops the cluster even when tests fail or on
// SIGINT/SIGTERM. Tests get it from Shared. It returns the exit code.
//
//	func TestMain(m *testing.M) { os.Exit(cluster.RunMain(m)) }
func RunMain(m *testing.M) int {
	if err := Usable(); err != nil {
		shared.reason = err.Error()
		if os.Getenv(RequireEnv) == "1" {
			fmt.Fprintf(os.Stderr, "%s=1 but no cluster can start: %v\n", RequireEnv, err)
			return 1
		}
		return m.Run()
	}
	SweepStale(testDirGlob)
	dir, err := os.MkdirTemp("/var/tmp", "rtaudit-cluster-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// A cold build may take most of an hour on a busy machine; start-up
	// itself is bounded by Options.Timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	starting := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cancel() // abort a start-up in progress
		case <-starting: // started or failed: the signal is the handler's below
		}
	}()
	c, err := Start(ctx, Options{Dir: dir})
	close(starting)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		_ = os.RemoveAll(dir)
		return 1
	}
	shared.Lock()
	shared.cluster = c
	shared.Unlock()
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(os.Stderr, "cluster: %v: stopping the cluster in %s\n", s, dir)
			shared.Lock()
			extras := shared.extras
			shared.Unlock()
			for _, x := range extras {
				_ = x.Stop()
			}
			_ = c.Stop()
			os.Exit(130)
		case <-done:
		}
	}()
	code := m.Run()
	close(done)
	if err := c.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Shared returns the package's cluster started by RunMain, skipping the
// test (or failing it under RTAUDIT_REQUIRE_CLUSTER=1) when there is none.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	shared.Lock()
	c, reason := shared.cluster, shared.reason
	shared.Unlock()
	if c == nil {
		if reason == "" {
			reason = "cluster.RunMain was not called from TestMain"
		}
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("no cluster: %s", reason)
		}
		t.Skipf("no cluster: %s", reason)
	}
	return c
}

// SweepStale stops clusters left in directories matching glob by a process
// killed before its clean-up ran (Pdeathsig stops the daemons, but not the
// containers, mounts and interface). A cluster whose owner still runs, or a
// detached one that is up, is left alone.
func SweepStale(glob string) {
	dirs, _ := filepath.Glob(glob)
	for _, d := range dirs {
		c, err := Attach(d)
		if err != nil {
			continue
		}
		if processRunning(c.rec.Owner) || (c.rec.Options.Detach && c.Running()) {
			continue
		}
		if err := c.Stop(); err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(os.Stderr, "cluster: sweeping %s: %v\n", d, err)
		}
	}
}
