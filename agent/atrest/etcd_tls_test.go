package atrest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// etcdBinary is the etcd the test cluster runs (Debian's etcd-server).
const etcdBinary = "/usr/bin/etcd"

// pki is a CA and what it signed, PEM-encoded.
type pki struct {
	ca, serverCert, serverKey, clientCert, clientKey []byte
}

func newPKI(t *testing.T) pki {
	t.Helper()
	key := func() (*ecdsa.PrivateKey, []byte) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return k, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	}
	now := time.Now()
	caKey, _ := key()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "etcd-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	sign := func(serial int64, cn string, usage ...x509.ExtKeyUsage) ([]byte, []byte) {
		k, keyPEM := key()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: usage, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM
	}
	p := pki{ca: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})}
	// etcd's JSON gateway dials its own gRPC server with the server's
	// certificate as a client's: it needs both usages.
	p.serverCert, p.serverKey = sign(2, "etcd", x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth)
	p.clientCert, p.clientKey = sign(3, "kube-apiserver-etcd-client", x509.ExtKeyUsageClientAuth)
	return p
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// tlsEtcd starts the real etcd serving clients over TLS only, requiring a
// client certificate of p's CA, and returns its client URL and an HTTP
// client with that certificate.
func tlsEtcd(t *testing.T, p pki) (string, *http.Client) {
	t.Helper()
	if _, err := os.Stat(etcdBinary); err != nil {
		if os.Getenv("RTAUDIT_REQUIRE_CLUSTER") == "1" {
			t.Fatalf("no etcd at %s (apt-get install etcd-server): RTAUDIT_REQUIRE_CLUSTER=1 forbids skipping", etcdBinary)
		}
		t.Skipf("no etcd at %s (apt-get install etcd-server)", etcdBinary)
	}
	dir := t.TempDir()
	files := map[string][]byte{"ca.crt": p.ca, "server.crt": p.serverCert, "server.key": p.serverKey}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	client := "https://127.0.0.1:" + strconv.Itoa(freePort(t))
	peer := "http://127.0.0.1:" + strconv.Itoa(freePort(t))
	var log bytes.Buffer
	cmd := exec.Command(etcdBinary, "--name", "tls", "--data-dir", filepath.Join(dir, "data"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "tls="+peer, "--initial-cluster-state", "new",
		"--cert-file", filepath.Join(dir, "server.crt"), "--key-file", filepath.Join(dir, "server.key"),
		"--client-cert-auth", "--trusted-ca-file", filepath.Join(dir, "ca.crt"),
		"--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("etcd log:\n%s", log.String())
		}
	})
	pair, err := tls.X509KeyPair(p.clientCert, p.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.ca)
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		Certificates: []tls.Certificate{pair}, RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := hc.Get(client + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return client, hc
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("etcd over TLS not healthy in 60s: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// etcdPut writes key=value through the JSON gateway as the API server would.
func etcdPut(t *testing.T, hc *http.Client, url, key, value string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{
		"key": base64.StdEncoding.EncodeToString([]byte(key)), "value": base64.StdEncoding.EncodeToString([]byte(value))})
	resp, err := hc.Post(url+"/v3/kv/put", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("put %s: %s", key, resp.Status)
	}
}

// TestSampleSecretEtcdTLS: the etcd probe over TLS against a real etcd that
// requires client certificates (the test cluster's etcd serves plain HTTP
// on loopback; a kubeadm cluster's serves this way): with the API server's
// client certificate and CA the probe reads the key and tells plaintext
// from encrypted; without a client certificate, with the wrong CA, or
// with a certificate of another CA, it fails with an error and no sample.
func TestSampleSecretEtcdTLS(t *testing.T) {
	p := newPKI(t)
	url, hc := tlsEtcd(t, p)
	access := EtcdAccess{Servers: []string{url}, Cert: p.clientCert, Key: p.clientKey, CA: p.ca, Timeout: 5 * time.Second}
	ctx := context.Background()

	if _, err := SampleSecret(ctx, access); err != ErrNoSecret {
		t.Errorf("empty etcd: %v, want ErrNoSecret", err)
	}
	etcdPut(t, hc, url, "/registry/secrets/default/db", "k8s\x00\n\x0c\n\x02v1\x12\x06Secret hunter2")
	s, err := SampleSecret(ctx, access)
	if err != nil || s.Encrypted || s.Key != "/registry/secrets/default/db" {
		t.Errorf("plaintext over TLS: %+v %v", s, err)
	}
	etcdPut(t, hc, url, "/registry/secrets/default/db", "k8s:enc:aescbc:v1:key1:\x8a\x01binary")
	s, err = SampleSecret(ctx, access)
	if err != nil || !s.Encrypted || s.Provider != "aescbc" {
		t.Errorf("encrypted over TLS: %+v %v", s, err)
	}

	other := newPKI(t)
	for name, a := range map[string]EtcdAccess{
		"no client certificate":              {Servers: access.Servers, CA: p.ca},
		"a client certificate of another CA": {Servers: access.Servers, Cert: other.clientCert, Key: other.clientKey, CA: p.ca},
		"the wrong CA for the server":        {Servers: access.Servers, Cert: p.clientCert, Key: p.clientKey, CA: other.ca},
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
