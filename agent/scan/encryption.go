package scan

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/rtaudit/rtaudit/agent/atrest"
	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/probes"
)

// EncryptionOptions configure the encryption-at-rest check.
type EncryptionOptions struct {
	// Judge finds every kube-apiserver on the node (by executable) and
	// judges its encryption of secrets at rest.
	Judge bool
	// EtcdProbe also reads one raw secret key from etcd with the API
	// server's client certificate (the value is checked for k8s:enc: and
	// dropped).
	EtcdProbe bool
}

// maxConfigSize bounds the files read from the API server's root.
const maxConfigSize = 1 << 20

// judgeEncryption finds the node's API servers and judges them: in the
// container that runs one (a static pod), else as a node-level finding.
func (s *pass) judgeEncryption(ctx context.Context) {
	if !s.opts.Encryption.Judge {
		return
	}
	pids, err := s.fs.PIDs()
	if err != nil {
		s.log.Warn("cannot list processes for kube-apiserver", "err", err)
		return
	}
	check, _ := checks.Get(checks.EncryptionAtRest)
	for _, pid := range pids {
		exe, err := s.fs.Exe(pid)
		if err != nil || probes.ExeName(exe) != "kube-apiserver" {
			continue
		}
		args, err := s.fs.Cmdline(pid)
		if err != nil {
			continue
		}
		ev := s.encryptionEvidence(ctx, pid, args)
		if subj := s.subjectOf(pid); subj != nil {
			if subj.Exposure == nil {
				subj.Exposure = &checks.Exposure{}
			}
			subj.Exposure.Encryption = ev
			s.judgeAgain(subj)
			continue
		}
		s.r.Findings = append(s.r.Findings, check.Evaluate(checks.NodeSubject(pid, "kube-apiserver", &checks.Exposure{Encryption: ev}))...)
	}
}

// subjectOf is the audited container a process belongs to, nil if none.
func (s *pass) subjectOf(pid int) *checks.Subject {
	for _, subj := range s.subjects {
		for _, p := range subj.Processes {
			if p.PID == pid {
				return subj
			}
		}
	}
	return nil
}

// encryptionEvidence reads the API server's encryption config inside its
// root and, when asked, samples etcd.
func (s *pass) encryptionEvidence(ctx context.Context, pid int, args []string) *checks.EncryptionEvidence {
	ev := &checks.EncryptionEvidence{PID: pid}
	if path, ok := atrest.FlagValue(args, "encryption-provider-config"); ok && path != "" {
		ev.Config = path
		b, err := s.fs.ReadFileInRoot(pid, path, maxConfigSize)
		if err == nil {
			var c atrest.Config
			c, err = atrest.ParseConfig(b)
			ev.Covered, ev.First = c.Covered, c.First
		}
		clear(b)
		if err != nil {
			ev.ConfigError = err.Error()
		}
	}
	if !s.opts.Encryption.EtcdProbe {
		return ev
	}
	a := atrest.EtcdAccess{Timeout: 3 * time.Second}
	if v, ok := atrest.FlagValue(args, "etcd-servers"); ok {
		a.Servers = strings.Split(v, ",")
	}
	files := []struct {
		flag string
		dst  *[]byte
	}{{"etcd-certfile", &a.Cert}, {"etcd-keyfile", &a.Key}, {"etcd-cafile", &a.CA}}
	for _, f := range files {
		if path, ok := atrest.FlagValue(args, f.flag); ok && path != "" {
			b, err := s.fs.ReadFileInRoot(pid, path, maxConfigSize)
			if err != nil {
				ev.SampleError = err.Error()
				return ev
			}
			*f.dst = b
		}
	}
	defer func() {
		for _, f := range files {
			clear(*f.dst)
		}
	}()
	sample, err := atrest.SampleSecret(ctx, a)
	switch {
	case errors.Is(err, atrest.ErrNoSecret):
		ev.SampleError = "etcd holds no secret yet"
	case err != nil:
		ev.SampleError = err.Error()
	default:
		ev.Sampled, ev.SampleEncrypted = sample.Key, sample.Encrypted
	}
	return ev
}
