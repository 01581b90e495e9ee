package checks

import (
	"fmt"

	"github.com/rtaudit/rtaudit/probes"
)

// Exposure is what a scan saw of the ways a container's secrets and
// sockets reach beyond it: evidence the secret and host-port checks judge.
// The scan fills it; nil means nothing was collected (the checks then
// judge only the declared spec and the mount tables).
type Exposure struct {
	// SecretEnv maps a PID to the declared secret variables (secretKeyRef)
	// its environment holds, names only (/proc/<pid>/environ).
	SecretEnv map[int][]string
	// EnvReaders maps a PID to the processes of other containers that can
	// read its environment (/proc/<pid>/environ is guarded by a ptrace
	// access check: the same UID, or CAP_SYS_PTRACE, in a pid namespace
	// that sees the process).
	EnvReaders map[int][]Reader
	// Tokens maps the container path of a secret or projected volume to
	// the token file found in it (only its JWT expiry is known).
	Tokens map[string]probes.Token
	// HostListeners are the sockets listening in the host's network
	// namespace that processes of the container hold.
	HostListeners []HeldListener
	// Network is set on one container of each pod a NetworkPolicy
	// isolates, when the scan knows the policies.
	Network *NetworkEvidence
	// Encryption is set on the kube-apiserver's container (or a node-level
	// subject for an API server run as a host process).
	Encryption *EncryptionEvidence
	// TokenUse is set on one container of each pod with an automounted
	// service-account token when the agent watches token use (opt-in).
	TokenUse *TokenUseEvidence
}

// EncryptionEvidence is what the scan learnt of a kube-apiserver's
// encryption of secrets at rest.
type EncryptionEvidence struct {
	PID int
	// Config is --encryption-provider-config ("" when not set);
	// ConfigError why it could not be read or parsed.
	Config, ConfigError string
	// Covered: the config encrypts secrets; First is its first provider.
	Covered bool
	First   string
	// Sampled is the etcd key read (only with the etcd probe);
	// SampleEncrypted its k8s:enc: prefix; SampleError why none was read.
	Sampled         string
	SampleEncrypted bool
	SampleError     string
}

// Reader is a process of another container that can read a process's
// environment, and why.
type Reader struct {
	PID                       int
	Comm                      string
	Namespace, Pod, Container string
	// Why: "same UID in a shared pid namespace", "host pid namespace with
	// CAP_SYS_PTRACE", …
	Why string
}

func (r Reader) String() string {
	return fmt.Sprintf("%s/%s/%s pid %d (%s): %s", r.Namespace, r.Pod, r.Container, r.PID, r.Comm, r.Why)
}

// HeldListener is a listening socket and a process holding it.
type HeldListener struct {
	PID  int
	Comm string
	probes.Listener
}

// NetworkEvidence is what the scan knows of the NetworkPolicies that
// isolate the container's pod and of their enforcement on the node. The
// scan sets it on one container of each isolated pod (the first by name),
// so a pod is reported once.
type NetworkEvidence struct {
	// Ingress and Egress name the policies isolating the pod
	// ("namespace/name").
	Ingress, Egress []string
	// Enforcers are the policy agents found running on the node; CNI is
	// the runtime's network configuration ("" when unknown).
	Enforcers []string
	CNI       string
	// Probes are the active connects made for the pod (--netpol-probe).
	Probes []NetworkProbe
}

// NetworkProbe is one connect between two pods of the node that the
// policies deny, and its positive control.
type NetworkProbe struct {
	Direction string   // "ingress" (to this pod) or "egress" (from it)
	Policies  []string // the policies isolating that direction
	From, To  string   // "namespace/pod"
	Addr      string   // the destination address and port
	// Control is the outcome of a connect that must succeed (from the
	// node to the destination); Outcome that of the denied one:
	// "connected", "refused", "timeout", "error".
	Control, Outcome string
}
