package groundtruth

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// statusKeys are the /proc/<pid>/status lines that carry the security
// posture.
var statusKeys = []string{"Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters"}

// nsKinds are the namespaces compared, each as "host" or "own".
var nsKinds = []string{"cgroup", "ipc", "mnt", "net", "pid", "user", "uts"}

// kernel is one process's security posture as flat "key: value" pairs, so
// two processes compare key by key:
//
//	status.<Key>    a status line, whitespace normalised
//	ns.<kind>       "host" when the namespace is the node's, else "own"
//	mount.<point>   "<fstype> <ro|rw>[,nosuid,nodev,noexec]" of the last
//	                mount on that point in the process's mountinfo
type kernel map[string]string

// readKernel reads the posture of pid; host are the node's namespaces.
func readKernel(pid int, host map[string]string) (kernel, error) {
	k := kernel{}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	status := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if key, v, ok := strings.Cut(line, ":"); ok {
			status[key] = strings.Join(strings.Fields(v), " ")
		}
	}
	for _, key := range statusKeys {
		k["status."+key] = status[key]
	}
	ns, err := namespaces(pid)
	if err != nil {
		return nil, err
	}
	for _, kind := range nsKinds {
		switch {
		case ns[kind] == "":
			k["ns."+kind] = "none"
		case ns[kind] == host[kind]:
			k["ns."+kind] = "host"
		default:
			k["ns."+kind] = "own"
		}
	}
	data, err = os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		return nil, err
	}
	for point, v := range parseMountinfo(data) {
		k["mount."+point] = v
	}
	return k, nil
}

func namespaces(pid int) (map[string]string, error) {
	ns := map[string]string{}
	for _, kind := range nsKinds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, kind))
		if err != nil && !os.IsNotExist(err) {
			return nil, err
		}
		ns[kind] = l
	}
	return ns, nil
}

// parseMountinfo maps each mount point to the type and security-relevant
// flags of the last mount stacked on it.
func parseMountinfo(data []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := slices.Index(fields, "-")
		if len(fields) < 6 || sep < 0 || sep+1 >= len(fields) {
			continue
		}
		opts := strings.Split(fields[5], ",")
		flags := []string{"rw"}
		if slices.Contains(opts, "ro") {
			flags[0] = "ro"
		}
		for _, f := range []string{"nosuid", "nodev", "noexec"} {
			if slices.Contains(opts, f) {
				flags = append(flags, f)
			}
		}
		out[unescape(fields[4])] = fields[sep+1] + " " + strings.Join(flags, ",")
	}
	return out
}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			var c int
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &c); err == nil {
				b.WriteByte(byte(c))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// diff lists the keys where a and b differ, sorted, as
// "key: a-value | b-value" ("-" for a missing key).
func diff(a, b kernel) map[string]string {
	out := map[string]string{}
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		va, oka := a[k]
		vb, okb := b[k]
		if oka && okb && va == vb {
			continue
		}
		if !oka {
			va = "-"
		}
		if !okb {
			vb = "-"
		}
		out[k] = va + " | " + vb
	}
	return out
}
