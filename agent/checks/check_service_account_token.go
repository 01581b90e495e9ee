package checks

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// service-account-token: the container's secret and projected volumes →
// the "token" file in each, read inside the container's root by the scan
// (only the JWT's exp claim is decoded; the token is never kept or
// printed). A JWT with no exp is a legacy service-account token secret
// (kubernetes.io/service-account-token): valid until the secret is
// deleted, usable from anywhere it leaks to. The kubelet's projected
// token (kube-api-access-*) always expires. High.
func init() {
	register(Check{
		ID:          ServiceAccountToken,
		Severity:    High,
		Rationale:   "A legacy service-account token secret never expires: once read from the container it grants the account's API access from anywhere until the secret is deleted.",
		Remediation: "Use the projected service-account token (the default automount, or a serviceAccountToken projection with an expirationSeconds) and delete the kubernetes.io/service-account-token secret.",
		Evaluate:    evalServiceAccountToken,
	})
}

func evalServiceAccountToken(s *Subject) []Finding {
	if s.Declared == nil || s.Declared.Secrets.Empty() || s.Exposure == nil {
		return nil
	}
	var out []Finding
	for _, v := range s.Declared.Secrets.Volumes {
		tok, ok := s.Exposure.Tokens[v.ContainerPath]
		if !ok || !tok.JWT || tok.Expires {
			continue
		}
		file := path.Join(v.ContainerPath, "token")
		what := v.Kind + " volume " + v.Volume
		if len(v.Secrets) > 0 {
			secrets := slices.Clone(v.Secrets)
			slices.Sort(secrets)
			what += " (secret " + strings.Join(secrets, ", ") + ")"
		}
		msg := fmt.Sprintf("the %s holds at %s a service-account token with no expiry: a legacy token secret", what, file)
		out = append(out, s.finding(ServiceAccountToken, High, LayerProcess, s.InitPID, "token:"+file, "an expiring token", "no exp claim", msg))
	}
	return out
}
