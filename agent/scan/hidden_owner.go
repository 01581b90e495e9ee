package scan

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/probes"
)

// Who made a hidden group, when the node says so. Three witnesses, each
// backed by something the kernel keeps, never by a name alone:
//
//   - an OCI runtime's state directory: runc keeps <root>/<id>/state.json
//     (id, init_process_pid, init_process_start, created, the bundle in
//     config.labels), crun <root>/<id>/status (pid, process-start-time,
//     bundle, created). It counts only when its PID and start time are
//     those of a process of the group (/proc/<pid>/stat): a reused PID or
//     a stale file names nobody.
//   - a containerd shim (containerd-shim-runc-v2 -namespace NS -id ID
//     -address SOCKET) or CRI-O's conmon (-c ID -b BUNDLE -r RUNTIME
//     --runtime-arg --root=ROOT) among the group's ancestors. It counts
//     only when it is a host process (the host's pid and mount namespaces),
//     in no audited container's cgroups, and older than the process: a
//     process of a container cannot pose as one.
//
// The roots searched are Options.RuntimeRoots, else DefaultRuntimeRoots,
// plus those CRI-O's own conmon processes name for the containers the CRI
// knows (its runtime_root: a container made there with runc directly is
// invisible to the CRI).

// DefaultRuntimeRoots are the state roots of runc and crun a node usually
// has (glob patterns): containerd's per namespace, CRI-O's and the OCI
// runtimes' own defaults.
var DefaultRuntimeRoots = []string{"/run/containerd/runc/*", "/run/runc", "/run/crun", "/run/containerd/crun/*"}

// maxStateFile bounds a state file read (runc's holds the container's
// whole config).
const maxStateFile = 4 << 20

// stateEntry is one container of an OCI runtime's state root.
type stateEntry struct {
	owner checks.RuntimeOwner
	pid   int
	start uint64 // clock ticks since boot, as /proc/<pid>/stat field 22
}

// runcState is the part of runc's state.json read here.
type runcState struct {
	ID        string `json:"id"`
	InitPID   int    `json:"init_process_pid"`
	InitStart uint64 `json:"init_process_start"`
	Created   string `json:"created"`
	Config    struct {
		Labels []string `json:"labels"`
	} `json:"config"`
}

// parseRuncState reads runc's <root>/<id>/state.json.
func parseRuncState(root string, data []byte) (stateEntry, bool) {
	var st runcState
	if err := json.Unmarshal(data, &st); err != nil || st.ID == "" || st.InitPID <= 0 {
		return stateEntry{}, false
	}
	o := checks.RuntimeOwner{Runtime: "runc", Instance: root, ID: st.ID, Created: st.Created, Evidence: "state.json"}
	for _, l := range st.Config.Labels {
		if b, ok := strings.CutPrefix(l, "bundle="); ok {
			o.Bundle = b
		}
	}
	return stateEntry{owner: o, pid: st.InitPID, start: st.InitStart}, true
}

// crunStatus is the part of crun's <root>/<id>/status read here.
type crunStatus struct {
	PID       int    `json:"pid"`
	StartTime uint64 `json:"process-start-time"`
	Bundle    string `json:"bundle"`
	Created   string `json:"created"`
}

// parseCrunStatus reads crun's <root>/<id>/status; id is the directory.
func parseCrunStatus(root, id string, data []byte) (stateEntry, bool) {
	var st crunStatus
	if err := json.Unmarshal(data, &st); err != nil || st.PID <= 0 {
		return stateEntry{}, false
	}
	o := checks.RuntimeOwner{Runtime: "crun", Instance: root, ID: id, Bundle: st.Bundle, Created: st.Created, Evidence: "status file"}
	return stateEntry{owner: o, pid: st.PID, start: st.StartTime}, true
}

// loadStates reads the containers of every root (glob patterns), keyed by
// init PID. Unreadable roots and files are skipped.
func loadStates(patterns []string) map[int]stateEntry {
	out := map[int]stateEntry{}
	seen := map[string]bool{}
	for _, pat := range patterns {
		roots, _ := filepath.Glob(pat)
		for _, root := range roots {
			if seen[root] {
				continue
			}
			seen[root] = true
			ents, err := os.ReadDir(root)
			if err != nil {
				continue
			}
			for _, e := range ents {
				if !e.IsDir() {
					continue
				}
				dir := filepath.Join(root, e.Name())
				if data, ok := readSmall(filepath.Join(dir, "state.json")); ok {
					if st, ok := parseRuncState(root, data); ok {
						out[st.pid] = st
					}
				} else if data, ok := readSmall(filepath.Join(dir, "status")); ok {
					if st, ok := parseCrunStatus(root, e.Name(), data); ok {
						out[st.pid] = st
					}
				}
			}
		}
	}
	return out
}

func readSmall(path string) ([]byte, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() || fi.Size() > maxStateFile {
		return nil, false
	}
	data, err := os.ReadFile(path)
	return data, err == nil
}

// flagValue returns the value of flag in args ("-flag v", "-flag=v",
// with one or two dashes), "" when absent.
func flagValue(args []string, names ...string) string {
	for i, a := range args {
		for _, n := range names {
			if v, ok := strings.CutPrefix(a, n+"="); ok {
				return v
			}
			if a == n && i+1 < len(args) {
				return args[i+1]
			}
		}
	}
	return ""
}

// parseShim reads a containerd shim's arguments.
func parseShim(args []string) (checks.RuntimeOwner, bool) {
	if len(args) == 0 || !strings.HasPrefix(filepath.Base(args[0]), "containerd-shim") {
		return checks.RuntimeOwner{}, false
	}
	o := checks.RuntimeOwner{
		Runtime: "containerd", Evidence: "shim " + filepath.Base(args[0]),
		Instance:  flagValue(args[1:], "-address", "--address"),
		Namespace: flagValue(args[1:], "-namespace", "--namespace"),
		ID:        flagValue(args[1:], "-id", "--id"),
	}
	return o, o.ID != ""
}

// parseConmon reads CRI-O's conmon arguments: -c/--cid, -b/--bundle,
// -r/--runtime and the runtime's --root among its --runtime-arg values.
func parseConmon(args []string) (checks.RuntimeOwner, bool) {
	if len(args) == 0 || filepath.Base(args[0]) != "conmon" {
		return checks.RuntimeOwner{}, false
	}
	o := checks.RuntimeOwner{
		Runtime: "cri-o", Evidence: "conmon",
		ID:     flagValue(args[1:], "-c", "--cid"),
		Bundle: flagValue(args[1:], "-b", "--bundle"),
	}
	if rt := flagValue(args[1:], "-r", "--runtime"); rt != "" {
		o.Runtime = "cri-o (" + filepath.Base(rt) + ")"
	}
	o.Instance = conmonRoot(args[1:])
	return o, o.ID != ""
}

// conmonRoot is the OCI runtime's --root among conmon's --runtime-arg
// values ("--root=X", or "--root" then "X").
func conmonRoot(args []string) string {
	var rargs []string
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--runtime-arg="); ok {
			rargs = append(rargs, v)
		} else if a == "--runtime-arg" && i+1 < len(args) {
			rargs = append(rargs, args[i+1])
		}
	}
	return flagValue(rargs, "--root")
}

// ownerOf names the runtime container a hidden group belongs to, or nil.
func (s *pass) ownerOf(g hideout) *checks.RuntimeOwner {
	states := s.runtimeStates()
	for _, p := range g.procs {
		if st, ok := states[p.PID]; ok && st.start == p.StartTime {
			o := st.owner
			return &o
		}
	}
	for _, p := range g.procs {
		if o := s.ancestorOwner(p); o != nil {
			return o
		}
	}
	return nil
}

// maxAncestors bounds the walk up from a hidden process to its shim or
// conmon (the container's init is their child; an exec'd process the
// child of a runtime process below them).
const maxAncestors = 3

// ancestorOwner walks up from p to a containerd shim or a conmon that is
// a host process, in no audited container, older than p.
func (s *pass) ancestorOwner(p *probes.Process) *checks.RuntimeOwner {
	child := p
	for range maxAncestors {
		if child.PPID <= 1 {
			return nil
		}
		a, err := s.sess.Probe(child.PPID)
		if err != nil {
			return nil
		}
		if !a.IsHost(s.host, probes.NSPID) || !a.IsHost(s.host, probes.NSMnt) || s.k.pids[a.PID] ||
			s.k.ownedByCRI(a) || s.containerOf(a) != nil || a.StartTime > p.StartTime {
			return nil
		}
		args, err := s.fs.Cmdline(a.PID)
		if err != nil {
			return nil
		}
		if o, ok := parseShim(args); ok {
			return &o
		}
		if o, ok := parseConmon(args); ok {
			return &o
		}
		child = a
	}
	return nil
}

// runtimeStates loads the state roots once per scan: the configured (or
// default) ones and those CRI-O's conmon names for the containers the CRI
// knows.
func (s *pass) runtimeStates() map[int]stateEntry {
	if s.states != nil {
		return s.states
	}
	roots := s.opts.RuntimeRoots
	if roots == nil {
		roots = DefaultRuntimeRoots
	}
	roots = append([]string(nil), roots...)
	for _, subj := range s.subjects {
		ppid := 0
		for _, p := range subj.Processes {
			if p != nil && p.PID == subj.InitPID {
				ppid = p.PPID
			}
		}
		if ppid <= 1 {
			continue
		}
		if ns, err := s.fs.NamespacesOf(ppid, probes.NSPID); err != nil || ns[probes.NSPID] != s.host[probes.NSPID] {
			continue // not a host process: its arguments name nothing
		}
		if args, err := s.fs.Cmdline(ppid); err == nil {
			if o, ok := parseConmon(args); ok && o.Instance != "" && !slices.Contains(roots, o.Instance) {
				roots = append(roots, o.Instance)
			}
		}
	}
	s.states = loadStates(roots)
	return s.states
}
