package matrix

import "testing"

// TestCasesDecode: every case is a valid pod with one container "main",
// names are unique, and every drift names a case.
func TestCasesDecode(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Cases {
		if seen[c.Name] {
			t.Errorf("case %q listed twice", c.Name)
		}
		seen[c.Name] = true
		pod, err := Pod(c.Name, c.Spec)
		if err != nil {
			t.Error(err)
			continue
		}
		if pod.Name != c.Name || len(pod.Spec.Containers) != 1 || pod.Spec.Containers[0].Name != "main" {
			t.Errorf("%s: want one container main, got %+v", c.Name, pod.Spec.Containers)
		}
	}
	for name := range Drift {
		if !seen[name] {
			t.Errorf("drift %q is not a case", name)
		}
	}
}

func TestPodRejectsUnknownField(t *testing.T) {
	if _, err := Pod("bad", "  containers:\n  - name: main\n    securityContex: {}\n"); err == nil {
		t.Fatal("a misspelt field decoded without error")
	}
}
