package checks

import (
	"fmt"

	"github.com/rtaudit/rtaudit/agent/expect"
)

// encryption-at-rest: the kube-apiserver's --encryption-provider-config
// (/proc/<pid>/cmdline; the file read inside the API server's root) →
// secrets covered by a resources entry whose first provider is not
// identity, and, with the etcd probe, one raw key under /registry/secrets/
// read from etcd with the API server's own client certificate: its value
// starts with "k8s:enc:" when encrypted.
//
//   - a sampled secret stored in plaintext: proven, critical;
//   - no config, secrets not covered, or identity first (new writes in
//     plaintext): high;
//   - a config that encrypts but a sample in plaintext is the first case
//     (secrets written before the config are not rewritten until updated);
//   - a probe that could not read etcd: info.
//
// Only control-plane nodes have a kube-apiserver; elsewhere nothing is
// judged.
func init() {
	register(Check{
		ID:          EncryptionAtRest,
		Severity:    Critical,
		Rationale:   "Without encryption at rest every Secret sits in plaintext in etcd and its backups: whoever reads etcd's disk or a snapshot has them all.",
		Remediation: "Give the kube-apiserver an --encryption-provider-config whose first provider for secrets is aescbc, aesgcm, secretbox or kms, then rewrite the secrets (kubectl get secrets -A -o json | kubectl replace -f -).",
		Evaluate:    evalEncryptionAtRest,
	})
}

func evalEncryptionAtRest(s *Subject) []Finding {
	if s.Exposure == nil || s.Exposure.Encryption == nil {
		return nil
	}
	e := s.Exposure.Encryption
	where := fmt.Sprintf("kube-apiserver (pid %d)", e.PID)
	if e.Sampled != "" && !e.SampleEncrypted {
		msg := fmt.Sprintf("%s stores secrets in plaintext: etcd key %s, read with its own client certificate, has no k8s:enc: prefix", where, e.Sampled)
		return []Finding{s.finding(EncryptionAtRest, Critical, LayerProcess, e.PID, "etcd:"+e.Sampled, "k8s:enc:", "plaintext", msg)}
	}
	var out []Finding
	switch {
	case e.Config == "":
		msg := where + " runs without --encryption-provider-config: secrets are written to etcd in plaintext"
		out = append(out, s.finding(EncryptionAtRest, High, LayerProcess, e.PID, "--encryption-provider-config", "a config encrypting secrets", "none", msg))
	case e.ConfigError != "":
		msg := fmt.Sprintf("%s: its encryption provider config %s cannot be judged: %s", where, e.Config, e.ConfigError)
		out = append(out, s.finding(EncryptionAtRest, Info, LayerProcess, e.PID, "--encryption-provider-config", "a readable config", "unreadable", msg))
	case !e.Covered:
		msg := fmt.Sprintf("%s: its encryption provider config %s does not cover secrets", where, e.Config)
		out = append(out, s.finding(EncryptionAtRest, High, LayerProcess, e.PID, "--encryption-provider-config", "secrets covered", "secrets not covered", msg))
	case e.First == "identity":
		msg := fmt.Sprintf("%s: its encryption provider config %s lists identity first for secrets: new writes are plaintext", where, e.Config)
		out = append(out, s.finding(EncryptionAtRest, High, LayerProcess, e.PID, "--encryption-provider-config", "an encrypting first provider", "identity", msg))
	}
	if e.SampleError != "" {
		msg := fmt.Sprintf("%s: etcd could not be sampled: %s", where, e.SampleError)
		out = append(out, s.finding(EncryptionAtRest, Info, LayerProcess, e.PID, "etcd", "a secret sampled", "none", msg))
	}
	return out
}

// NodeSubject is a subject for a node-level check of a host process (not
// in any container): its findings carry no pod.
func NodeSubject(pid int, comm string, e *Exposure) *Subject {
	return &Subject{Container: comm, InitPID: pid, Exposure: e, DeclaredFrom: expect.OriginCRI}
}
