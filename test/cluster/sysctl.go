package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// hostStateDir holds host-wide records shared by every cluster on the node.
const hostStateDir = "/run/rtaudit-cluster"

// kubeletSysctls are the host tunables the kubelet's container manager
// rewrites at start (setupKernelTunables, protectKernelDefaults=false).
var kubeletSysctls = []string{
	"vm/overcommit_memory",
	"vm/panic_on_oom",
	"kernel/panic",
	"kernel/panic_on_oops",
	"kernel/keys/root_maxkeys",
	"kernel/keys/root_maxbytes",
}

func sysctlFile() string { return filepath.Join(hostStateDir, "sysctls.json") }

// saveSysctls records the host's values before the first kubelet of any
// cluster changes them; later clusters keep the first record, which holds
// the values from before any kubelet ran.
func saveSysctls() error {
	if err := os.MkdirAll(hostStateDir, 0o755); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	if _, err := os.Stat(sysctlFile()); err == nil {
		return nil
	}
	vals := map[string]string{}
	for _, k := range kubeletSysctls {
		v, err := os.ReadFile(filepath.Join("/proc/sys", k))
		if err != nil {
			continue
		}
		vals[k] = strings.TrimSpace(string(v))
	}
	data, err := json.Marshal(vals)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(sysctlFile(), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	_, werr := f.Write(data)
	return errors.Join(werr, f.Close())
}

// restoreSysctls writes the recorded values back and drops the record. The
// caller makes sure no kubelet still runs.
func restoreSysctls() error {
	data, err := os.ReadFile(sysctlFile())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	var vals map[string]string
	if err := json.Unmarshal(data, &vals); err != nil {
		_ = os.Remove(sysctlFile())
		return fmt.Errorf("cluster: %s: %w", sysctlFile(), err)
	}
	var errs []error
	for k, v := range vals {
		if err := os.WriteFile(filepath.Join("/proc/sys", k), []byte(v+"\n"), 0o644); err != nil {
			errs = append(errs, fmt.Errorf("cluster: restore %s=%s: %w", k, v, err))
		}
	}
	_ = os.Remove(sysctlFile())
	return errors.Join(errs...)
}
