package atrest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Config
		err      bool
	}{
		{"aescbc first", `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers: [{aescbc: {keys: [{name: k, secret: c2VjcmV0}]}}, {identity: {}}]`, Config{Covered: true, First: "aescbc"}, false},
		{"identity first", `kind: EncryptionConfiguration
resources:
- resources: [configmaps, secrets]
  providers: [{identity: {}}, {aesgcm: {keys: [{name: k, secret: c2VjcmV0}]}}]`, Config{Covered: true, First: "identity"}, false},
		{"secrets not covered", `kind: EncryptionConfiguration
resources:
- resources: [configmaps]
  providers: [{aescbc: {}}]`, Config{}, false},
		{"wildcard", `kind: EncryptionConfiguration
resources:
- resources: ['*.*']
  providers: [{kms: {apiVersion: v2, name: vault}}]`, Config{Covered: true, First: "kms"}, false},
		{"first matching entry wins", `kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers: [{identity: {}}]
- resources: ['*.*']
  providers: [{aescbc: {}}]`, Config{Covered: true, First: "identity"}, false},
		{"wrong kind", `kind: Pod`, Config{}, true},
		{"not yaml", `: [`, Config{}, true},
	} {
		got, err := ParseConfig([]byte(tc.in))
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%s: %+v %v, want %+v (error %v)", tc.name, got, err, tc.want, tc.err)
		}
	}
}

func TestFlagValue(t *testing.T) {
	args := []string{"kube-apiserver", "--etcd-servers=http://a:2379", "--encryption-provider-config", "/etc/enc.yaml", "--v=2"}
	if v, ok := FlagValue(args, "encryption-provider-config"); !ok || v != "/etc/enc.yaml" {
		t.Errorf("spaced: %q %v", v, ok)
	}
	if v, ok := FlagValue(args, "etcd-servers"); !ok || v != "http://a:2379" {
		t.Errorf("equals: %q %v", v, ok)
	}
	if _, ok := FlagValue(args, "etcd-certfile"); ok {
		t.Error("absent flag found")
	}
}

// fakeEtcd answers /v3/kv/range with one key/value, or none.
func fakeEtcd(t *testing.T, key, value string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if r.URL.Path != "/v3/kv/range" || json.NewDecoder(r.Body).Decode(&body) != nil {
			http.Error(w, "bad request", 400)
			return
		}
		if k, _ := base64.StdEncoding.DecodeString(body["key"].(string)); string(k) != "/registry/secrets/" {
			http.Error(w, "bad key "+string(k), 400)
			return
		}
		if end, _ := base64.StdEncoding.DecodeString(body["range_end"].(string)); string(end) != "/registry/secrets0" {
			http.Error(w, "bad range_end "+string(end), 400)
			return
		}
		resp := map[string]any{"kvs": []any{}}
		if key != "" {
			resp["kvs"] = []any{map[string]string{"key": base64.StdEncoding.EncodeToString([]byte(key)), "value": base64.StdEncoding.EncodeToString([]byte(value))}}
		}
		_ = json.NewEncoder(w).Encode(resp)
	}))
}

func TestSampleSecret(t *testing.T) {
	plain := fakeEtcd(t, "/registry/secrets/default/db", "k8s\x00\n\x0c\n\x02v1\x12\x06Secret hunter2")
	defer plain.Close()
	s, err := SampleSecret(context.Background(), EtcdAccess{Servers: []string{plain.URL}})
	if err != nil || s.Encrypted || s.Key != "/registry/secrets/default/db" {
		t.Errorf("plaintext: %+v %v", s, err)
	}
	enc := fakeEtcd(t, "/registry/secrets/default/db", "k8s:enc:aescbc:v1:key1:\x8a\x01binary")
	defer enc.Close()
	s, err = SampleSecret(context.Background(), EtcdAccess{Servers: []string{enc.URL}})
	if err != nil || !s.Encrypted || s.Provider != "aescbc" {
		t.Errorf("encrypted: %+v %v", s, err)
	}
	empty := fakeEtcd(t, "", "")
	defer empty.Close()
	if _, err := SampleSecret(context.Background(), EtcdAccess{Servers: []string{empty.URL}}); !errors.Is(err, ErrNoSecret) {
		t.Errorf("no secret: %v", err)
	}
	if _, err := SampleSecret(context.Background(), EtcdAccess{Servers: []string{enc.URL}, Cert: []byte("x"), Key: []byte("y")}); err == nil {
		t.Error("a bad client certificate accepted")
	}
}
