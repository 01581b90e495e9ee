package scan

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"sync"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/probes"
)

// capSysPtrace is CAP_SYS_PTRACE's bit.
const capSysPtrace = 19

// hostListeners is the host network namespace's listener table, read once
// per scan (through the host's reference process) when a container in that namespace needs it.
type hostListeners struct {
	once    sync.Once
	byInode map[uint64]probes.Listener
	err     error
}

func (h *hostListeners) get(fsys probes.FS) (map[uint64]probes.Listener, error) {
	h.once.Do(func() {
		ls, err := fsys.Listeners(fsys.HostPID())
		if err != nil {
			h.err = err
			return
		}
		h.byInode = make(map[uint64]probes.Listener, len(ls))
		for _, l := range ls {
			h.byInode[l.Inode] = l
		}
	})
	return h.byInode, h.err
}

// expose collects the evidence of subj.Exposure: the declared secret
// variables in each process's environment (names only), the expiry of the
// token files in its secret volumes, and the sockets its processes in the
// host's network namespace listen on. Readers of the environment need
// every container and are added by exposeReaders. Safe for concurrent use.
func (s *pass) expose(subj *checks.Subject) {
	if subj.Declared == nil {
		return
	}
	e := &checks.Exposure{}
	if u := subj.Declared.Secrets; !u.Empty() {
		want := map[string]bool{}
		for _, n := range u.EnvNames() {
			want[n] = true
		}
		if len(want) > 0 {
			for _, p := range subj.Processes {
				names, err := s.fs.EnvNames(p.PID, func(n string) bool { return want[n] })
				if err != nil {
					s.log.Debug("cannot read a process's environment names", "pid", p.PID, "err", err)
					continue
				}
				if len(names) > 0 {
					if e.SecretEnv == nil {
						e.SecretEnv = map[int][]string{}
					}
					e.SecretEnv[p.PID] = names
				}
			}
		}
		for _, v := range u.Volumes {
			if v.SubPath || subj.InitPID <= 0 {
				continue
			}
			tok, err := s.fs.TokenAt(subj.InitPID, path.Join(v.ContainerPath, "token"))
			switch {
			case errors.Is(err, fs.ErrNotExist), errors.Is(err, probes.ErrNotToken):
				continue
			case err != nil:
				s.log.Debug("cannot read a token file", "pid", subj.InitPID, "volume", v.Volume, "err", err)
				continue
			}
			if e.Tokens == nil {
				e.Tokens = map[string]probes.Token{}
			}
			e.Tokens[v.ContainerPath] = tok
		}
	}
	e.HostListeners = s.heldHostListeners(subj)
	subj.Exposure = e
}

// heldHostListeners lists the host-namespace listeners the container's
// processes hold (only processes in the host's network namespace).
func (s *pass) heldHostListeners(subj *checks.Subject) []checks.HeldListener {
	var out []checks.HeldListener
	for _, p := range subj.Processes {
		if !p.IsHost(s.host, probes.NSNet) {
			continue
		}
		table, err := s.hostListen.get(s.fs)
		if err != nil {
			s.log.Warn("cannot read the host's listening sockets: host-port not judged", "err", err)
			return nil
		}
		inodes, err := s.fs.SocketInodes(p.PID)
		if err != nil {
			s.log.Debug("cannot read a process's sockets", "pid", p.PID, "err", err)
			continue
		}
		for ino := range inodes {
			if l, ok := table[ino]; ok {
				out = append(out, checks.HeldListener{PID: p.PID, Comm: p.Comm, Listener: l})
			}
		}
	}
	slices.SortFunc(out, func(a, b checks.HeldListener) int {
		if a.PID != b.PID {
			return a.PID - b.PID
		}
		if a.Proto != b.Proto {
			if a.Proto < b.Proto {
				return -1
			}
			return 1
		}
		return int(a.Port) - int(b.Port)
	})
	return out
}

// exposeReaders finds, for every audited process holding secret variables
// (declared secretKeyRef names seen in its environment, or envFrom
// secrets), the processes of other audited containers that pass the
// kernel's ptrace read check on its environ, and judges those containers
// again with that evidence. Processes of the host itself are not listed
// (the host is trusted), nor those of the same container.
func (s *pass) exposeReaders() {
	self := os.Getpid() // the host's PID of the agent, which runs with hostPID
	for _, subj := range s.subjects {
		if subj == nil || subj.Exposure == nil || subj.Declared == nil || subj.Declared.Secrets.Empty() {
			continue
		}
		envFrom := len(subj.Declared.Secrets.EnvFrom) > 0
		changed := false
		for _, p := range subj.Processes {
			if len(subj.Exposure.SecretEnv[p.PID]) == 0 && !envFrom {
				continue
			}
			var readers []checks.Reader
			for _, other := range s.subjects {
				if other == nil || other == subj {
					continue
				}
				for _, q := range other.Processes {
					if q.PID == self {
						continue // rtaudit itself (the agent): it reads names only
					}
					if why := s.canReadEnviron(q, p); why != "" {
						readers = append(readers, checks.Reader{PID: q.PID, Comm: q.Comm, Namespace: other.Namespace, Pod: other.Pod, Container: other.Container, Why: why})
					}
				}
			}
			if len(readers) > 0 {
				if subj.Exposure.EnvReaders == nil {
					subj.Exposure.EnvReaders = map[int][]checks.Reader{}
				}
				subj.Exposure.EnvReaders[p.PID] = readers
				changed = true
			}
		}
		if changed {
			s.judgeAgain(subj)
		}
	}
}

// canReadEnviron says why q may read /proc/<p>/environ, "" when it may
// not: q must see p (the same pid namespace, or the host's, which sees
// every process) and pass ptrace_may_access in read mode: its fsuid equal
// to p's real, effective and saved UIDs in the same user namespace, or
// CAP_SYS_PTRACE effective in p's user namespace or the host's. A process
// made non-dumpable (prctl, a setuid execve) refuses same-UID readers; the
// dumpable flag is not in /proc, so that refusal is not modelled.
func (s *pass) canReadEnviron(q, p *probes.Process) string {
	var where string
	switch {
	case q.Namespaces.Same(p.Namespaces, probes.NSPID):
		where = "a shared pid namespace"
	case q.IsHost(s.host, probes.NSPID):
		where = "the host pid namespace"
	default:
		return ""
	}
	sameUserNS := q.Namespaces.Same(p.Namespaces, probes.NSUser)
	if q.Caps.Effective&(1<<capSysPtrace) != 0 && (sameUserNS || q.IsHost(s.host, probes.NSUser)) {
		return "CAP_SYS_PTRACE in " + where
	}
	u := p.UID
	if sameUserNS && u[probes.Real] == u[probes.Effective] && u[probes.Effective] == u[probes.Saved] && q.UID[probes.Filesystem] == u[probes.Effective] {
		return fmt.Sprintf("same UID %d in %s", u[probes.Effective], where)
	}
	return ""
}

// judgeAgain replaces a container's findings with a new evaluation.
func (s *pass) judgeAgain(subj *checks.Subject) {
	s.r.Findings = slices.DeleteFunc(s.r.Findings, func(f checks.Finding) bool { return f.ContainerID == subj.ContainerID })
	s.r.Findings = append(s.r.Findings, checks.Evaluate(subj)...)
}
