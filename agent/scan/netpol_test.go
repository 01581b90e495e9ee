package scan

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

type fixedPolicies []*networkingv1.NetworkPolicy

func (f fixedPolicies) Policies() []*networkingv1.NetworkPolicy { return f }

func TestNetworkOptionsPolicies(t *testing.T) {
	one := []*networkingv1.NetworkPolicy{{}}
	if got := (NetworkOptions{}).policies(); got != nil {
		t.Errorf("no policies, no source: %v, want unknown", got)
	}
	if got := (NetworkOptions{Source: fixedPolicies(nil)}).policies(); got != nil {
		t.Errorf("a source not synced: %v, want unknown", got)
	}
	if got := (NetworkOptions{Source: fixedPolicies(one)}).policies(); len(got) != 1 {
		t.Errorf("the source's: %v", got)
	}
	if got := (NetworkOptions{Policies: []*networkingv1.NetworkPolicy{}, Source: fixedPolicies(one)}).policies(); got == nil || len(got) != 0 {
		t.Errorf("listed policies win over the source: %v", got)
	}
}
