package cluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// layout is where one cluster keeps its files.
type layout struct{ dir string }

func (l layout) record() string         { return filepath.Join(l.dir, "cluster.json") }
func (l layout) pki() string            { return filepath.Join(l.dir, "pki") }
func (l layout) apiserverCerts() string { return filepath.Join(l.dir, "pki", "apiserver") }
func (l layout) etcdData() string       { return filepath.Join(l.dir, "etcd") }
func (l layout) kubeconfig() string     { return filepath.Join(l.dir, "kubeconfig") }
func (l layout) kubeletRoot() string    { return filepath.Join(l.dir, "kubelet") }
func (l layout) kubeletConfig() string  { return filepath.Join(l.dir, "kubelet-config.yaml") }
func (l layout) kubeletKubeconfig() string {
	return filepath.Join(l.dir, "kubelet.kubeconfig")
}
func (l layout) kubeletCerts() string { return filepath.Join(l.dir, "pki", "kubelet") }
func (l layout) podLogs() string      { return filepath.Join(l.dir, "pod-logs") }
func (l layout) containerd() string   { return filepath.Join(l.dir, "containerd") }
func (l layout) log(name string) string {
	return filepath.Join(l.dir, name+".log")
}

func etcdArgs(l layout, clientPort, peerPort int) []string {
	client := "http://127.0.0.1:" + strconv.Itoa(clientPort)
	peer := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	return []string{
		"--name", "rtaudit",
		"--data-dir", l.etcdData(),
		"--listen-client-urls", client,
		"--advertise-client-urls", client,
		"--listen-peer-urls", peer,
		"--initial-advertise-peer-urls", peer,
		"--initial-cluster", "rtaudit=" + peer,
		"--initial-cluster-state", "new",
		"--logger", "zap",
		"--log-outputs", "stderr",
		"--log-level", "warn",
	}
}

func apiserverArgs(l layout, etcdPort, securePort int, nodeIP string) []string {
	return []string{
		"--etcd-servers", "http://127.0.0.1:" + strconv.Itoa(etcdPort),
		"--bind-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(securePort),
		// The advertised address lands in the "kubernetes" Service only; no
		// endpoint reconciler runs, so nothing ever connects to it.
		"--advertise-address", nodeIP,
		"--endpoint-reconciler-type", "none",
		"--cert-dir", l.apiserverCerts(),
		"--token-auth-file", filepath.Join(l.pki(), "tokens.csv"),
		"--anonymous-auth=false",
		"--authorization-mode", "RBAC",
		"--allow-privileged=true",
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", filepath.Join(l.pki(), "sa.pub"),
		"--service-account-signing-key-file", filepath.Join(l.pki(), "sa.key"),
		"--service-cluster-ip-range", "10.0.0.0/24",
		"--profiling=false",
		// Logs and exec reach the kubelet on the node's InternalIP.
		"--kubelet-client-certificate", filepath.Join(l.pki(), apiserverKubelet),
		"--kubelet-client-key", filepath.Join(l.pki(), apiserverKubeletK),
		"--kubelet-preferred-address-types", "InternalIP",
		"--v", "1",
	}
}

// kubeletConfig is the KubeletConfiguration (kubelet.config.k8s.io/v1beta1)
// that runs on this host: cgroupfs without QoS cgroups or allocatable
// enforcement (cgroup v1 hybrid, no systemd), loopback-only servers, no
// host iptables chains, no disk-driven eviction or image GC (the test
// images are imported, never pulled back). seccompDefault is the kubelet's
// own default (false) unless asked.
func kubeletConfig(l layout, endpoint string, port int, seccompDefault bool) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: %[1]q
imageServiceEndpoint: %[1]q
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
failCgroupV1: false
makeIPTablesUtilChains: false
oomScoreAdj: 0
address: 127.0.0.1
port: %[2]d
readOnlyPort: 0
healthzPort: 0
podLogsDir: %[3]q
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
authorization:
  mode: Webhook
registerNode: true
evictionHard:
  memory.available: "1Mi"
  nodefs.available: "1%%"
  nodefs.inodesFree: "1%%"
  imagefs.available: "1%%"
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
nodeStatusUpdateFrequency: 2s
syncFrequency: 10s
fileCheckFrequency: 5s
serializeImagePulls: false
seccompDefault: %[4]t
`, endpoint, port, l.podLogs(), seccompDefault)
}

func kubeletArgs(l layout, nodeName, nodeIP string) []string {
	return []string{
		"--config", l.kubeletConfig(),
		"--kubeconfig", l.kubeletKubeconfig(),
		"--root-dir", l.kubeletRoot(),
		"--cert-dir", l.kubeletCerts(),
		"--hostname-override", nodeName,
		"--node-ip", nodeIP,
		// Its server on the node's own (unrouted) address, for the API
		// server's logs and exec, which authenticate with this CA.
		"--address", nodeIP,
		"--client-ca-file", filepath.Join(l.pki(), kubeletClientCA),
		"--v", "2",
	}
}

// waitHTTP polls url until it answers 200 (TLS unverified: this only
// checks liveness; clients verify the certificate).
func waitHTTP(ctx context.Context, p proc, url, token string, logFile string) error {
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // liveness probe only
	}
	var last string
	for {
		if !p.alive() {
			return fmt.Errorf("cluster: %s exited during start-up (%s): %s", p.Name, p.exitOf(), tail(logFile, 20))
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err == nil {
			body := make([]byte, 512)
			n, _ := resp.Body.Read(body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(body[:n])))
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: %s not ready (%s): %w: %s", p.Name, last, ctx.Err(), tail(logFile, 20))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func writeFile(path, data string, mode os.FileMode) error {
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	return nil
}
