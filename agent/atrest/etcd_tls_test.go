package atrest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/agent/internal/etcdtest"
)

// TestSampleSecretEtcdTLS: the etcd probe over TLS against a real etcd that
// requires client certificates (the test cluster's etcd serves plain HTTP
// on loopback; a kubeadm cluster's serves this way): with the API server's
// client certificate and CA the probe reads the key and tells plaintext
// from encrypted; without a client certificate, with the wrong CA, or
// with a certificate of another CA, it fails with an error and no sample.
func TestSampleSecretEtcdTLS(t *testing.T) {
	p := etcdtest.NewPKI(t)
	url, hc := etcdtest.Start(t, p)
	access := EtcdAccess{Servers: []string{url}, Cert: p.ClientCert, Key: p.ClientKey, CA: p.CA, Timeout: 5 * time.Second}
	ctx := context.Background()

	if _, err := SampleSecret(ctx, access); err != ErrNoSecret {
		t.Errorf("empty etcd: %v, want ErrNoSecret", err)
	}
	etcdtest.Put(t, hc, url, "/registry/secrets/default/db", "k8s\x00\n\x0c\n\x02v1\x12\x06Secret hunter2")
	s, err := SampleSecret(ctx, access)
	if err != nil || s.Encrypted || s.Key != "/registry/secrets/default/db" {
		t.Errorf("plaintext over TLS: %+v %v", s, err)
	}
	etcdtest.Put(t, hc, url, "/registry/secrets/default/db", "k8s:enc:aescbc:v1:key1:\x8a\x01binary")
	s, err = SampleSecret(ctx, access)
	if err != nil || !s.Encrypted || s.Provider != "aescbc" {
		t.Errorf("encrypted over TLS: %+v %v", s, err)
	}

	other := etcdtest.NewPKI(t)
	for name, a := range map[string]EtcdAccess{
		"no client certificate":              {Servers: access.Servers, CA: p.CA},
		"a client certificate of another CA": {Servers: access.Servers, Cert: other.ClientCert, Key: other.ClientKey, CA: p.CA},
		"the wrong CA for the server":        {Servers: access.Servers, Cert: p.ClientCert, Key: p.ClientKey, CA: other.CA},
		"plain HTTP to a TLS port":           {Servers: []string{strings.Replace(url, "https://", "http://", 1)}},
	} {
		a.Timeout = 5 * time.Second
		if s, err := SampleSecret(ctx, a); err == nil {
			t.Errorf("%s: sampled %+v, want an error", name, s)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
