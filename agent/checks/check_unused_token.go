package checks

import (
	"fmt"
	"strings"
	"time"
)

// unused-token (opt-in: the agent's --unused-token-window): the pod's
// automounted service-account token (the kubelet's projected volume at
// /var/run/secrets/kubernetes.io/serviceaccount, automountServiceAccountToken
// not false) → the TCP sockets of the pod's network namespace
// (/proc/<pid>/net/tcp, tcp6), sampled at each audit: a pod observed for
// the whole window without one connection to the API server (the
// kubernetes Service's address, the API server's own) holds a credential
// it does not use. Low.
//
// The samples are points in time: a connection that opens and closes
// between two audits is missed unless its socket lingers in TIME_WAIT
// (about a minute here) when the next sample is taken, so a pod that talks
// to the API rarely and briefly can be reported; one connection seen
// clears the pod for its life. A token file's access time is no evidence
// (relatime; the kubelet's atomic writer reads and rewrites the volume).
// hostNetwork pods share the host's sockets: nothing is attributed to them.
func init() {
	register(Check{
		ID:          UnusedToken,
		Severity:    Low,
		Rationale:   "A service-account token mounted in a pod that never talks to the API server is a credential for whoever breaks into the pod, and nothing the pod needs.",
		Remediation: "Set automountServiceAccountToken: false on the pod (or its ServiceAccount) and mount a token only where the workload calls the API.",
		Evaluate:    evalUnusedToken,
	})
}

// TokenUseEvidence is what the agent observed of a pod's use of its
// automounted token.
type TokenUseEvidence struct {
	// Path is where the token is mounted.
	Path string
	// Observed is how long the pod has been sampled; Window how long it
	// must be before a finding.
	Observed, Window time.Duration
	// Reached: a socket of the pod was seen connected to one of API.
	Reached bool
	API     []string
}

func evalUnusedToken(s *Subject) []Finding {
	if s.Exposure == nil || s.Exposure.TokenUse == nil {
		return nil
	}
	u := s.Exposure.TokenUse
	if u.Reached || u.Window <= 0 || u.Observed < u.Window {
		return nil
	}
	api := strings.Join(u.API, ", ")
	msg := fmt.Sprintf("the pod holds an automounted service-account token at %s but no connection to the API server (%s) was seen in %s of samples at each audit", u.Path, api, u.Observed.Truncate(time.Second))
	return []Finding{s.finding(UnusedToken, Low, LayerProcess, 0, "token:"+u.Path, "a connection to the API server", "none in "+u.Observed.Truncate(time.Second).String(), msg)}
}
