package declared

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/rtaudit/rtaudit/agent/internal/kube"
)

// The policy informer over the real client and HTTP: the reflector's
// watch-list request (sendInitialEvents, then the bookmark that ends the
// initial events) or its list and watch, as the API server answers them.
func TestPolicyInformerOverHTTP(t *testing.T) {
	const policy = `{"kind":"NetworkPolicy","apiVersion":"networking.k8s.io/v1","metadata":{"name":"deny","namespace":"team","resourceVersion":"7"},"spec":{"podSelector":{}}}`
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.RawQuery)
		mu.Unlock()
		if r.URL.Path != "/apis/networking.k8s.io/v1/networkpolicies" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		w.Header().Set("Content-Type", "application/json")
		if q.Get("watch") != "true" {
			_, _ = io.WriteString(w, `{"kind":"NetworkPolicyList","apiVersion":"networking.k8s.io/v1","metadata":{"resourceVersion":"7"},"items":[`+policy+`]}`)
			return
		}
		if q.Get("sendInitialEvents") == "true" {
			_, _ = io.WriteString(w, `{"type":"ADDED","object":`+policy+"}\n")
			_, _ = io.WriteString(w, `{"type":"BOOKMARK","object":{"kind":"NetworkPolicy","apiVersion":"networking.k8s.io/v1","metadata":{"resourceVersion":"7","annotations":{"k8s.io/initial-events-end":"true"}}}}`+"\n")
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	cs, err := kube.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPolicyInformer(cs)
	if p.Policies() != nil {
		t.Fatal("policies before the first listing")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		nps := p.Policies()
		if len(nps) == 1 && nps[0].Name == "deny" && nps[0].Namespace == "team" {
			break
		}
		if time.Now().After(deadline) {
			mu.Lock()
			t.Fatalf("policies = %v; requests %q", nps, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// client-go's WatchListClient is on by default: the options must
	// reach the server as query parameters.
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 || !strings.Contains(got[0], "sendInitialEvents=true") || !strings.Contains(got[0], "resourceVersionMatch=NotOlderThan") {
		t.Errorf("requests %q: want a watch-list request first", got)
	}
}
