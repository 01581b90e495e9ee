package declared

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/rtaudit/rtaudit/agent/internal/kube"
)

// An API server that stops answering /readyz makes the source unhealthy
// (and counts errors) although no watch reported anything; answering again
// makes it healthy.
func TestReachProbeFollowsTheServer(t *testing.T) {
	var up atomic.Bool
	up.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		if !up.Load() {
			http.Error(w, "etcd failed", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	cs, err := kube.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	in := &Informer{cs: cs}
	in.synced.Store(true)
	in.healthy.Store(true)
	in.reachable.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go in.watchReach(ctx, 20*time.Millisecond)

	waitHealthy := func(want bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for in.Healthy() != want {
			if time.Now().After(deadline) {
				t.Fatalf("Healthy() stayed %v", !want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	up.Store(false)
	waitHealthy(false)
	if in.TakeErrors() == 0 {
		t.Error("a failed probe counted no error")
	}
	up.Store(true)
	waitHealthy(true)
	srv.Close() // connection refused, as with the server process gone
	waitHealthy(false)
}
