package atrest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// EtcdAccess is how the API server reaches etcd: its --etcd-servers and
// the contents of its --etcd-certfile, --etcd-keyfile and --etcd-cafile
// (empty for plain HTTP).
type EtcdAccess struct {
	Servers       []string
	Cert, Key, CA []byte
	Timeout       time.Duration
}

// Sample is what one raw secret key in etcd shows.
type Sample struct {
	Key string
	// Encrypted: the value starts with "k8s:enc:" (the API server's
	// envelope: k8s:enc:<provider>:v1:<key name>:); Provider names it.
	Encrypted bool
	Provider  string
}

// ErrNoSecret means etcd holds no secret to sample.
var ErrNoSecret = errors.New("no secret in etcd")

// SampleSecret reads one key under /registry/secrets/ through etcd's v3
// JSON gateway (POST /v3/kv/range) with the API server's client
// certificate, and says whether its value is encrypted. The value is
// checked for the envelope prefix and cleared; it is never returned.
func SampleSecret(ctx context.Context, a EtcdAccess) (Sample, error) {
	if len(a.Servers) == 0 {
		return Sample{}, errors.New("no etcd server")
	}
	client := &http.Client{Timeout: max(a.Timeout, time.Second)}
	if len(a.Cert) > 0 || len(a.CA) > 0 {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if len(a.Cert) > 0 {
			pair, err := tls.X509KeyPair(a.Cert, a.Key)
			if err != nil {
				return Sample{}, fmt.Errorf("etcd client certificate: %v", err)
			}
			tc.Certificates = []tls.Certificate{pair}
		}
		if len(a.CA) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(a.CA) {
				return Sample{}, errors.New("etcd CA: no certificate")
			}
			tc.RootCAs = pool
		}
		client.Transport = &http.Transport{TLSClientConfig: tc}
	}
	const prefix, end = "/registry/secrets/", "/registry/secrets0" // '0' follows '/'

	body, _ := json.Marshal(map[string]any{
		"key":       base64.StdEncoding.EncodeToString([]byte(prefix)),
		"range_end": base64.StdEncoding.EncodeToString([]byte(end)),
		"limit":     1,
	})
	url := strings.TrimRight(a.Servers[0], "/") + "/v3/kv/range"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Sample{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return Sample{}, fmt.Errorf("etcd %s: %v", a.Servers[0], err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	defer clear(raw)
	if err != nil {
		return Sample{}, fmt.Errorf("etcd %s: %v", a.Servers[0], err)
	}
	if resp.StatusCode != http.StatusOK {
		return Sample{}, fmt.Errorf("etcd %s: %s", a.Servers[0], resp.Status)
	}
	var rr struct {
		KVs []struct {
			Key   []byte `json:"key"`
			Value []byte `json:"value"`
		} `json:"kvs"`
	}
	if err := json.Unmarshal(raw, &rr); err != nil {
		return Sample{}, fmt.Errorf("etcd %s: %v", a.Servers[0], err)
	}
	if len(rr.KVs) == 0 {
		return Sample{}, ErrNoSecret
	}
	kv := rr.KVs[0]
	defer clear(kv.Value)
	s := Sample{Key: string(kv.Key)}
	if rest, ok := bytes.CutPrefix(kv.Value, []byte("k8s:enc:")); ok {
		s.Encrypted = true
		if name, _, ok := bytes.Cut(rest, []byte(":")); ok && len(name) < 32 {
			s.Provider = string(name)
		}
	}
	return s, nil
}
