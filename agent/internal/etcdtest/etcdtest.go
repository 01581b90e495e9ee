// Package etcdtest runs a real etcd over TLS with client-certificate
// authentication for tests (Debian's etcd-server, the test cluster's).
// Test support only: imported by _test files.
package etcdtest

import (
	"bytes"
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
	"testing"
	"time"
)

// Binary is the etcd the test cluster runs (Debian's etcd-server).
const Binary = "/usr/bin/etcd"

// PKI is a CA and what it signed, PEM-encoded: a server certificate for
// 127.0.0.1 and a client certificate (the API server's).
type PKI struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey []byte
}

// NewPKI makes a CA and signs the two certificates.
func NewPKI(t *testing.T) PKI {
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
	p := PKI{CA: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})}
	// etcd's JSON gateway dials its own gRPC server with the server's
	// certificate as a client's: it needs both usages.
	p.ServerCert, p.ServerKey = sign(2, "etcd", x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth)
	p.ClientCert, p.ClientKey = sign(3, "kube-apiserver-etcd-client", x509.ExtKeyUsageClientAuth)
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

// Start runs the real etcd serving clients over TLS only, requiring a
// client certificate of p's CA, and returns its client URL and an HTTP
// client with p's client certificate. Without etcd the test is skipped,
// or fails under RTAUDIT_REQUIRE_CLUSTER=1.
func Start(t *testing.T, p PKI) (string, *http.Client) {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		if os.Getenv("RTAUDIT_REQUIRE_CLUSTER") == "1" {
			t.Fatalf("no etcd at %s (apt-get install etcd-server): RTAUDIT_REQUIRE_CLUSTER=1 forbids skipping", Binary)
		}
		t.Skipf("no etcd at %s (apt-get install etcd-server)", Binary)
	}
	dir := t.TempDir()
	files := map[string][]byte{"ca.crt": p.CA, "server.crt": p.ServerCert, "server.key": p.ServerKey}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	client := "https://127.0.0.1:" + strconv.Itoa(freePort(t))
	peer := "http://127.0.0.1:" + strconv.Itoa(freePort(t))
	var log bytes.Buffer
	cmd := exec.Command(Binary, "--name", "tls", "--data-dir", filepath.Join(dir, "data"),
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
	pair, err := tls.X509KeyPair(p.ClientCert, p.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.CA)
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

// Put writes key=value through etcd's JSON gateway, as the API server
// would through gRPC.
func Put(t *testing.T, hc *http.Client, url, key, value string) {
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
