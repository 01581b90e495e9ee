package harness

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
)

// Image names the harness builds and imports.
const (
	BusyboxImage = "rtaudit.local/busybox:test"
	PauseImage   = "rtaudit.local/pause:test"
)

// CRINamespace is the containerd namespace the CRI plugin uses.
const CRINamespace = "k8s.io"

// layout is where one instance keeps its files.
type layout struct {
	dir string
}

func (l layout) root() string         { return filepath.Join(l.dir, "root") }
func (l layout) state() string        { return filepath.Join(l.dir, "state") }
func (l layout) socket() string       { return filepath.Join(l.dir, "containerd.sock") }
func (l layout) config() string       { return filepath.Join(l.dir, "config.toml") }
func (l layout) cniConf() string      { return filepath.Join(l.dir, "cni", "net.d") }
func (l layout) cniData() string      { return filepath.Join(l.dir, "cni", "ipam") }
func (l layout) runcRoot() string     { return filepath.Join(l.dir, "runc") }
func (l layout) logFile() string      { return filepath.Join(l.dir, "containerd.log") }
func (l layout) podLogs() string      { return filepath.Join(l.dir, "pod-logs") }
func (l layout) pidFile() string      { return filepath.Join(l.dir, "containerd.pid") }
func (l layout) optDir() string       { return filepath.Join(l.dir, "opt") }
func (l layout) instanceFile() string { return filepath.Join(l.dir, "instance.json") }

// instanceIndex derives a small number from the directory so that two
// instances (a test run and the demo lab) get distinct bridges, subnets and
// cgroup parents without coordination.
func instanceIndex(dir string) int {
	h := fnv.New32a()
	h.Write([]byte(dir))
	return int(h.Sum32()%200) + 20
}

// writeConfig writes the containerd config (CRI plugin config version 2, as
// containerd 1.6 reads it; containerd 2 migrates it to its own version on
// load) and the CNI network list. Its runtime handlers: runc (the default),
// DriftHandler and, when crun is installed, CrunHandler.
func writeConfig(l layout, o Options) error {
	for _, d := range []string{l.root(), l.state(), l.cniConf(), l.cniData(), l.runcRoot(), l.crunRoot(), l.podLogs(), l.optDir()} {
		if err := os.MkdirAll(d, 0o711); err != nil {
			return err
		}
	}
	apparmor := ""
	if _, err := os.Stat("/sys/module/apparmor"); err != nil {
		apparmor = "  disable_apparmor = true\n"
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	crun, err := crunRuntimes(l, o, q)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, `version = 2
root = %s
state = %s
oom_score = 0
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = %s

[ttrpc]
  address = ""

[debug]
  address = ""
  level = "info"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = %s

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %s
  restrict_oom_score_adj = true
  enable_selinux = false
%s  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_cdi = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = %s
        Root = %s
%s%s  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %s
    conf_dir = %s
    max_conf_num = 1
`, q(l.root()), q(l.state()), q(l.socket()), q(l.optDir()), q(PauseImage), apparmor,
		q(o.Runc), q(l.runcRoot()), driftRuntimes(l, o, q), crun, q(o.CNIBinDir), q(l.cniConf()))
	if err := writeDriftSpecs(l); err != nil {
		return err
	}
	if err := os.WriteFile(l.config(), []byte(b.String()), 0o600); err != nil {
		return err
	}
	return writeCNI(l, o)
}

func writeCNI(l layout, o Options) error {
	conf := map[string]any{
		"cniVersion": "0.4.0",
		"name":       o.Bridge,
		"plugins": []any{
			map[string]any{
				"type":        "bridge",
				"bridge":      o.Bridge,
				"isGateway":   true,
				"ipMasq":      false,
				"hairpinMode": false,
				"ipam": map[string]any{
					"type":    "host-local",
					"dataDir": l.cniData(),
					"ranges":  [][]map[string]string{{{"subnet": o.Subnet}}},
				},
			},
		},
	}
	data, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(l.cniConf(), "10-rtaudit.conflist"), data, 0o644)
}
