package kube

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	v1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
)

// apiServer answers the real API paths with the JSON the API server
// sends, and records what it was asked.
type apiServer struct {
	t  *testing.T
	mu sync.Mutex
	// got are "METHOD PATH?QUERY" of every request, in order.
	got    []string
	agents []string
	accept map[string]string // path → Accept header
	bodies map[string]runtime.Object
}

func (s *apiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.got = append(s.got, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	s.agents = append(s.agents, r.UserAgent())
	s.accept[r.URL.Path] = r.Header.Get("Accept")
	if r.Body != nil {
		if b, _ := io.ReadAll(r.Body); len(b) > 0 {
			obj, err := runtime.Decode(codecs.UniversalDeserializer(), b)
			if err != nil {
				s.t.Errorf("%s %s: body %q (%s) does not decode: %v", r.Method, r.URL.Path, b, r.Header.Get("Content-Type"), err)
			}
			s.bodies[r.Method+" "+r.URL.Path] = obj
		}
	}
	s.mu.Unlock()
	q := r.URL.Query()
	switch r.Method + " " + r.URL.Path {
	case "GET /api/v1/pods":
		if q.Get("watch") == "true" {
			writeWatch(w, q.Get("resourceVersion"))
			return
		}
		writeJSON(w, 200, `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"42","continue":"next"},
			"items":[{"metadata":{"name":"web","namespace":"team","uid":"u1","resourceVersion":"41"},"spec":{"nodeName":"n1"}}]}`)
	case "GET /api/v1/namespaces/team/pods/gone":
		writeJSON(w, 404, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
			"message":"pods \"gone\" not found","reason":"NotFound","details":{"name":"gone","kind":"pods"},"code":404}`)
	case "GET /api/v1/namespaces/team/pods/web":
		writeJSON(w, 200, `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web","namespace":"team","uid":"u1"}}`)
	case "POST /api/v1/namespaces/team/pods":
		writeJSON(w, 201, `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"new","namespace":"team","uid":"u2","resourceVersion":"43"}}`)
	case "DELETE /api/v1/namespaces/team/pods/new":
		writeJSON(w, 200, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success"}`)
	case "GET /api/v1/namespaces/team/pods/new/log":
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "scan output\n")
	case "GET /api/v1/nodes/n1":
		writeJSON(w, 200, `{"kind":"Node","apiVersion":"v1","metadata":{"name":"n1"}}`)
	case "POST /api/v1/namespaces/team/events":
		writeJSON(w, 201, `{"kind":"Event","apiVersion":"v1","metadata":{"name":"rtaudit-x","namespace":"team"},"reason":"RuntimeDrift"}`)
	case "GET /apis/networking.k8s.io/v1/networkpolicies":
		writeJSON(w, 200, `{"kind":"NetworkPolicyList","apiVersion":"networking.k8s.io/v1","metadata":{"resourceVersion":"7"},
			"items":[{"metadata":{"name":"deny","namespace":"team"},"spec":{"podSelector":{}}}]}`)
	case "PUT /apis/openreports.io/v1alpha1/namespaces/team/reports/r1":
		writeJSON(w, 409, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","reason":"Conflict","code":409,
			"message":"Operation cannot be fulfilled on reports.openreports.io \"r1\": the object has been modified"}`)
	case "GET /apis/openreports.io/v1alpha1":
		writeJSON(w, 200, `{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"openreports.io/v1alpha1",
			"resources":[{"name":"reports","namespaced":true,"kind":"Report","verbs":["get"]}]}`)
	default:
		writeJSON(w, 404, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","code":404}`)
	}
}

func writeJSON(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body)
}

// writeWatch streams two events after rv, then ends the watch as the
// server does at its timeout.
func writeWatch(w http.ResponseWriter, rv string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	for _, ev := range []string{
		`{"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"late","namespace":"team","resourceVersion":"` + rv + `1"}}}`,
		`{"type":"DELETED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web","namespace":"team","resourceVersion":"` + rv + `2"}}}`,
	} {
		_, _ = io.WriteString(w, ev+"\n")
		w.(http.Flusher).Flush()
	}
}

func newServer(t *testing.T) (*apiServer, *Clientset) {
	t.Helper()
	s := &apiServer{t: t, accept: map[string]string{}, bodies: map[string]runtime.Object{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	cs, err := NewForConfig(&rest.Config{Host: srv.URL, UserAgent: "rtaudit-test"})
	if err != nil {
		t.Fatal(err)
	}
	return s, cs
}

func TestPodsOverHTTP(t *testing.T) {
	s, cs := newServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	list, err := cs.Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=n1", Limit: 500})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if list.ResourceVersion != "42" || list.Continue != "next" || len(list.Items) != 1 || list.Items[0].Name != "web" || list.Items[0].Spec.NodeName != "n1" {
		t.Errorf("List = %+v", list)
	}

	w, err := cs.Pods("").Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	var events []string
	for ev := range w.ResultChan() {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok {
			t.Fatalf("watch event %s of a %T", ev.Type, ev.Object)
		}
		events = append(events, string(ev.Type)+" "+p.Name+"@"+p.ResourceVersion)
	}
	if got, want := strings.Join(events, ", "), "ADDED late@421, DELETED web@422"; got != want {
		t.Errorf("watch events = %s, want %s", got, want)
	}

	_, err = cs.Pods("team").Get(ctx, "gone", metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("Get of a missing pod: %v (%T), want NotFound", err, err)
	}
	if _, ok := err.(*apierrors.StatusError); !ok {
		t.Errorf("Get of a missing pod: %T, want *StatusError", err)
	}
	if p, err := cs.Pods("team").Get(ctx, "web", metav1.GetOptions{}); err != nil || p.UID != "u1" {
		t.Errorf("Get = %v, %v", p, err)
	}

	created, err := cs.Pods("team").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "new", Namespace: "team"}}, metav1.CreateOptions{})
	if err != nil || created.UID != "u2" {
		t.Fatalf("Create = %v, %v", created, err)
	}
	if err := cs.Pods("team").Delete(ctx, "new", metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Errorf("Delete: %v", err)
	}
	stream, err := cs.Pods("team").GetLogs("new", &corev1.PodLogOptions{Container: "agent", Follow: true}).Stream(ctx)
	if err != nil {
		t.Fatalf("GetLogs: %v", err)
	}
	b, _ := io.ReadAll(stream)
	stream.Close()
	if string(b) != "scan output\n" {
		t.Errorf("log = %q", b)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	want := []string{
		"GET /api/v1/pods?fieldSelector=spec.nodeName%3Dn1&limit=500",
		"GET /api/v1/pods?resourceVersion=42&watch=true",
		"GET /api/v1/namespaces/team/pods/gone?",
		"GET /api/v1/namespaces/team/pods/web?",
		"POST /api/v1/namespaces/team/pods?",
		"DELETE /api/v1/namespaces/team/pods/new?",
		"GET /api/v1/namespaces/team/pods/new/log?container=agent&follow=true",
	}
	if strings.Join(s.got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(s.got, "\n"), strings.Join(want, "\n"))
	}
	for _, ua := range s.agents {
		if ua != "rtaudit-test" {
			t.Errorf("User-Agent %q, want the config's", ua)
		}
	}
	// Built-in types prefer protobuf, as client-go's typed clients do.
	if a := s.accept["/api/v1/pods"]; !strings.HasPrefix(a, "application/vnd.kubernetes.protobuf") {
		t.Errorf("Accept of pods = %q, want protobuf first", a)
	}
	if p, ok := s.bodies["POST /api/v1/namespaces/team/pods"].(*corev1.Pod); !ok || p.Name != "new" {
		t.Errorf("created body = %#v", s.bodies["POST /api/v1/namespaces/team/pods"])
	}
	if d, ok := s.bodies["DELETE /api/v1/namespaces/team/pods/new"].(*metav1.DeleteOptions); !ok || d.GracePeriodSeconds == nil || *d.GracePeriodSeconds != 0 {
		t.Errorf("delete body = %#v", s.bodies["DELETE /api/v1/namespaces/team/pods/new"])
	}
}

func TestOtherResourcesOverHTTP(t *testing.T) {
	s, cs := newServer(t)
	ctx := context.Background()
	if n, err := cs.Nodes().Get(ctx, "n1", metav1.GetOptions{}); err != nil || n.Name != "n1" {
		t.Errorf("Nodes.Get = %v, %v", n, err)
	}
	if _, err := cs.Nodes().Get(ctx, "n2", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Nodes.Get of a missing node: %v", err)
	}
	if ev, err := cs.Events("team").Create(ctx, &corev1.Event{ObjectMeta: metav1.ObjectMeta{GenerateName: "rtaudit-"}, Reason: "RuntimeDrift"}, metav1.CreateOptions{}); err != nil || ev.Name != "rtaudit-x" {
		t.Errorf("Events.Create = %v, %v", ev, err)
	}
	nps, err := cs.NetworkPolicies("").List(ctx, metav1.ListOptions{})
	if err != nil || len(nps.Items) != 1 || nps.Items[0].Name != "deny" || nps.ResourceVersion != "7" {
		t.Errorf("NetworkPolicies.List = %v, %v", nps, err)
	}
	_, err = cs.Reports("team").Update(ctx, &v1alpha1.Report{ObjectMeta: metav1.ObjectMeta{Name: "r1", Namespace: "team"}}, metav1.UpdateOptions{})
	if !apierrors.IsConflict(err) {
		t.Errorf("Reports.Update: %v, want Conflict", err)
	}
	l, err := cs.ServerResourcesForGroupVersion("openreports.io/v1alpha1")
	if err != nil || len(l.APIResources) != 1 || l.APIResources[0].Name != "reports" {
		t.Errorf("discovery of openreports = %v, %v", l, err)
	}
	if _, err := cs.ServerResourcesForGroupVersion("rtaudit.dev/v1alpha1"); !apierrors.IsNotFound(err) {
		t.Errorf("discovery of a group not served: %v, want NotFound", err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	// The custom resource is JSON: CRDs do not speak protobuf.
	if a := s.accept["/apis/openreports.io/v1alpha1/namespaces/team/reports/r1"]; strings.Contains(a, "protobuf") {
		t.Errorf("Accept of reports = %q", a)
	}
	if e, ok := s.bodies["POST /api/v1/namespaces/team/events"].(*corev1.Event); !ok || e.GenerateName != "rtaudit-" {
		t.Errorf("event body = %#v", s.bodies["POST /api/v1/namespaces/team/events"])
	}
}
