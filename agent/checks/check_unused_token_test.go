package checks

import (
	"testing"
	"time"
)

func init() {
	use := func(u TokenUseEvidence) func(t *testing.T, s *Subject) {
		return func(t *testing.T, s *Subject) {
			u.Path = "/var/run/secrets/kubernetes.io/serviceaccount"
			u.API = []string{"10.0.0.1:443", "10.232.5.1:6443"}
			s.Exposure = &Exposure{TokenUse: &u}
		}
	}
	fixtures[UnusedToken] = struct{ pass, fail []fixture }{
		pass: []fixture{
			{name: "not watched (no automounted token, or the opt-in off)"},
			{name: "observed less than the window", mut: use(TokenUseEvidence{Observed: 59 * time.Minute, Window: time.Hour})},
			{name: "a connection to the API server was seen", mut: use(TokenUseEvidence{Observed: 3 * time.Hour, Window: time.Hour, Reached: true})},
			{name: "window 0: off", mut: use(TokenUseEvidence{Observed: 3 * time.Hour})},
		},
		fail: []fixture{
			{name: "idle for the whole window", layer: LayerProcess, severity: Low, mut: use(TokenUseEvidence{Observed: time.Hour, Window: time.Hour})},
		},
	}
}
