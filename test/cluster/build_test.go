package cluster

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestRewriteStagingReplaces(t *testing.T) {
	in := "module k8s.io/kubernetes\n\nreplace (\n\tk8s.io/api => ./staging/src/k8s.io/api\n\tk8s.io/cri-api => ./staging/src/k8s.io/cri-api\n\tgithub.com/x/y => github.com/x/y v1.0.0\n)\n"
	out, n := rewriteStagingReplaces([]byte(in), "v0.37.2")
	if n != 2 {
		t.Fatalf("rewrote %d lines, want 2", n)
	}
	for _, want := range []string{"\tk8s.io/api => k8s.io/api v0.37.2\n", "\tk8s.io/cri-api => k8s.io/cri-api v0.37.2\n", "\tgithub.com/x/y => github.com/x/y v1.0.0\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "staging") {
		t.Errorf("a staging path survived:\n%s", out)
	}
}

func TestKubeletConfigIsValidYAML(t *testing.T) {
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(kubeletConfig(layout{dir: "/d"}, "unix:///d/c.sock", 12345, false)), &cfg); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"cgroupDriver": "cgroupfs", "cgroupsPerQOS": false, "failSwapOn": false, "failCgroupV1": false,
		"makeIPTablesUtilChains": false, "address": "127.0.0.1", "port": float64(12345),
		"containerRuntimeEndpoint": "unix:///d/c.sock", "podLogsDir": "/d/pod-logs", "seccompDefault": false,
	} {
		if cfg[k] != want {
			t.Errorf("%s = %v, want %v", k, cfg[k], want)
		}
	}
	if ev := cfg["evictionHard"].(map[string]any); ev["nodefs.available"] != "1%" {
		t.Errorf("evictionHard = %v", ev)
	}
}

func TestKubeletConfigSeccompDefault(t *testing.T) {
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(kubeletConfig(layout{dir: "/d"}, "unix:///d/c.sock", 12345, true)), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg["seccompDefault"] != true {
		t.Errorf("seccompDefault = %v, want true", cfg["seccompDefault"])
	}
}

func TestNodeAddress(t *testing.T) {
	iface, ip := nodeAddress("rta42", "/x")
	if iface != "rtk42" || ip != "10.232.42.1" {
		t.Errorf("nodeAddress(rta42) = %s %s", iface, ip)
	}
	iface, ip = nodeAddress("custom", "/x")
	if !strings.HasPrefix(iface, "rtk") || !strings.HasPrefix(ip, "10.232.") {
		t.Errorf("nodeAddress(custom) = %s %s", iface, ip)
	}
}

func TestOptionsNeedDir(t *testing.T) {
	var o Options
	if err := o.complete(); err == nil {
		t.Error("empty Dir accepted")
	}
	o = Options{Dir: "/var/tmp/" + strings.Repeat("x", 100)}
	if err := o.complete(); err == nil {
		t.Error("over-long Dir accepted")
	}
}
