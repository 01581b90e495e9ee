package harness

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// crioLayout is where one CRI-O instance keeps its files: every path CRI-O
// would otherwise take under /var/lib/crio, /var/run/crio, /etc/crio or
// /var/lib/containers is moved here.
type crioLayout struct {
	dir string
}

func (l crioLayout) root() string    { return filepath.Join(l.dir, "storage") }
func (l crioLayout) runroot() string { return filepath.Join(l.dir, "run") }
func (l crioLayout) socket() string  { return filepath.Join(l.dir, "crio.sock") }
func (l crioLayout) config() string  { return filepath.Join(l.dir, "crio.conf") }
func (l crioLayout) dropIns() string { return filepath.Join(l.dir, "crio.conf.d") }
func (l crioLayout) policy() string  { return filepath.Join(l.dir, "policy.json") }
func (l crioLayout) logFile() string { return filepath.Join(l.dir, "crio.log") }
func (l crioLayout) podLogs() string { return filepath.Join(l.dir, "pod-logs") }
func (l crioLayout) state() string   { return filepath.Join(l.dir, "state") }
func (l crioLayout) base() layout    { return layout(l) } // CNI files, crun wrapper
func (l crioLayout) pinns(bin string) string {
	return filepath.Join(filepath.Dir(bin), "pinns")
}

// runtimeRoot is the --root CRI-O passes handler's runtime.
func (l crioLayout) runtimeRoot(handler string) string {
	return filepath.Join(l.dir, "runtime-"+handler)
}

// wrapper is handler's runtime_path (writeCRIOWrapper).
func (l crioLayout) wrapper(handler string) string {
	return filepath.Join(l.dir, handler+"-crio-lab")
}

// storageRef names image in CRI-O's private containers-storage, for skopeo.
func (l crioLayout) storageRef(image string) string {
	return fmt.Sprintf("containers-storage:[overlay@%s+%s]%s", l.root(), l.runroot(), image)
}

// writeCRIOConfig writes crio.conf, an empty drop-in directory (so none of
// the host's /etc/crio/crio.conf.d applies), a permissive signature
// policy (the images are local archives), the CNI network and the runtime
// wrappers. Both handlers, runc and crun, are complete tables: a drop-in
// runtime table replaces the whole handler.
func writeCRIOConfig(l crioLayout, o CRIOOptions) error {
	for _, d := range []string{l.root(), l.runroot(), l.dropIns(), l.podLogs(), l.state(), l.runtimeRoot("runc"), l.runtimeRoot("crun"), l.base().cniConf(), l.base().cniData()} {
		if err := os.MkdirAll(d, 0o711); err != nil {
			return err
		}
	}
	if err := os.WriteFile(l.policy(), []byte(`{"default":[{"type":"insecureAcceptAnything"}]}`+"\n"), 0o644); err != nil {
		return err
	}
	crun, err := crunBinary(l.base(), Options{Crun: o.Crun})
	if err != nil {
		return fmt.Errorf("crun handler: %w", err)
	}
	for handler, bin := range map[string]string{"runc": o.Runc, "crun": crun} {
		if err := writeCRIOWrapper(l.wrapper(handler), bin); err != nil {
			return err
		}
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	runtime := func(h string) string {
		return fmt.Sprintf(`[crio.runtime.runtimes.%s]
runtime_path = %s
runtime_type = "oci"
runtime_root = %s
monitor_path = %s
monitor_cgroup = "pod"
monitor_env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
`, h, q(l.wrapper(h)), q(l.runtimeRoot(h)), q(o.Conmon))
	}
	conf := fmt.Sprintf(`[crio]
root = %[1]s
runroot = %[2]s
storage_driver = "overlay"
log_dir = %[3]s
version_file = %[4]s
version_file_persist = %[5]s
clean_shutdown_file = %[6]s

[crio.api]
listen = %[7]s
stream_address = "127.0.0.1"
stream_port = "0"

[crio.runtime]
default_runtime = %[8]s
cgroup_manager = "cgroupfs"
pinns_path = %[9]s
container_exits_dir = %[10]s
container_attach_socket_dir = %[11]s
namespaces_dir = %[12]s
drop_infra_ctr = true
hooks_dir = []
selinux = false

%[13]s
%[14]s
[crio.image]
pause_image = %[15]s
signature_policy = %[16]s

[crio.network]
network_dir = %[17]s
plugin_dirs = [%[18]s]

[crio.metrics]
enable_metrics = false

[crio.nri]
enable_nri = false
`, q(l.root()), q(l.runroot()), q(l.podLogs()),
		q(filepath.Join(l.state(), "version")), q(filepath.Join(l.state(), "version-persist")), q(filepath.Join(l.state(), "clean.shutdown")),
		q(l.socket()), q(o.DefaultRuntime), q(l.pinns(o.Binary)),
		q(filepath.Join(l.state(), "exits")), q(filepath.Join(l.state(), "attach")), q(filepath.Join(l.state(), "ns")),
		runtime("runc"), runtime("crun"), q(PauseImage), q(l.policy()),
		q(l.base().cniConf()), q(o.CNIBinDir))
	if err := os.WriteFile(l.config(), []byte(conf), 0o600); err != nil {
		return err
	}
	return writeCNI(l.base(), Options{Bridge: o.Bridge, Subnet: o.Subnet})
}

// capNames are the capabilities by number, as OCI specs name them.
var capNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// unboundedCaps are the capabilities up to cap_last_cap that this process's
// bounding set lacks (CAP_SYS_RESOURCE on these hosts): a runtime asked for
// one fails, since no process here can hold it.
func unboundedCaps() ([]string, error) {
	last, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(last)))
	if err != nil {
		return nil, fmt.Errorf("cap_last_cap: %w", err)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil, err
	}
	var bnd uint64
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			if bnd, err = strconv.ParseUint(strings.TrimSpace(v), 16, 64); err != nil {
				return nil, fmt.Errorf("CapBnd: %w", err)
			}
		}
	}
	var out []string
	for i := 0; i <= n && i < 64; i++ {
		if bnd&(1<<i) != 0 {
			continue
		}
		if i < len(capNames) {
			out = append(out, capNames[i])
		} else {
			out = append(out, "CAP_"+strconv.Itoa(i))
		}
	}
	return out, nil
}

// writeCRIOWrapper writes the runtime_path CRI-O runs for one handler: the
// OCI runtime bin, after two edits of the bundle's config.json (on create
// and run) and of an exec's process.json, for what this host refuses and
// CRI-O does not avoid (containerd does):
//
//   - linux.resources.hugepageLimits is dropped: this cgroup v1 host mounts
//     no hugetlb controller, and runc fails "cannot set hugetlb limit"
//     (containerd's disable_hugetlb_controller skips them).
//   - capabilities outside the host root's bounding set (unboundedCaps) are
//     dropped: CRI-O asks every capability up to cap_last_cap for a
//     privileged container and the runtime fails on the one no process here
//     can have. The process gets what it would get anyway.
//   - a negative process.oomScoreAdj is raised to 0: lowering it is denied
//     even to root here (containerd's restrict_oom_score_adj).
//   - linux.resources.pids with a limit <= 0 (CRI-O's default pids_limit
//     -1: unlimited) is dropped, which means the same: crun 1.8.1 writes
//     "-1" into a cgroup v1 pids.max and fails with EINVAL (runc writes
//     "max").
//
// CRI-O keeps the spec it made, and reports that one: the audit compares
// CRI-O's spec, not the edited file, with the kernel.
func writeCRIOWrapper(path, bin string) error {
	drop, err := unboundedCaps()
	if err != nil {
		return err
	}
	dropJSON, err := json.Marshal(append([]string{}, drop...))
	if err != nil {
		return err
	}
	sq := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	script := `#!/bin/sh
# An OCI runtime for the rtaudit CRI-O lab: see writeCRIOWrapper in
# test/harness/crio_config.go.
set -eu
drop=` + sq(string(dropJSON)) + `
caps='(if . == null then . else with_entries(.value |= (if . == null then . else . - $drop end)) end)'
edit() {
	jq --argjson drop "$drop" "$2" "$1" >"$1.rtaudit" && mv "$1.rtaudit" "$1"
}
cmd="" bundle="" process="" prev=""
for a in "$@"; do
	case $prev in --bundle | -b) bundle=$a ;; --process | -p) process=$a ;; esac
	case $a in
	--bundle=*) bundle=${a#--bundle=} ;;
	--process=*) process=${a#--process=} ;;
	create | run | exec) [ -n "$cmd" ] || cmd=$a ;;
	esac
	prev=$a
done
case $cmd in
create | run)
	[ -z "$bundle" ] && bundle=.
	edit "$bundle/config.json" ".process.capabilities |= $caps | del(.linux.resources.hugepageLimits) | if (.linux.resources.pids.limit // 1) <= 0 then del(.linux.resources.pids) else . end | if (.process.oomScoreAdj // 0) < 0 then .process.oomScoreAdj = 0 else . end"
	;;
exec)
	[ -n "$process" ] && edit "$process" ".capabilities |= $caps"
	;;
esac
exec ` + sq(bin) + ` "$@"
`
	return os.WriteFile(path, []byte(script), 0o755)
}
