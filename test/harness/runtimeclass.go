package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/oci"
)

// DriftHandler is a runtime handler (use it as a pod's runtimeClassName) whose
// base OCI spec grants CAP_SYS_ADMIN on top of containerd's defaults: a
// misconfigured or compromised runtime that quietly gives a pod more than
// it asked for. The CRI config stays right; the OCI spec does not.
const DriftHandler = "drift"

// DriftCapability is the capability the drift handler adds.
const DriftCapability = "CAP_SYS_ADMIN"

func (l layout) driftSpec() string { return filepath.Join(l.dir, "drift-spec.json") }

// driftRuntimes is the containerd config of the drift handler: runc with a
// base_runtime_spec.
func driftRuntimes(l layout, o Options, q func(string) string) string {
	prefix := `    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.` + DriftHandler + `]`
	return fmt.Sprintf(`%s
      runtime_type = "io.containerd.runc.v2"
      base_runtime_spec = %s
%s.options]
        SystemdCgroup = false
        BinaryName = %s
        Root = %s
`, prefix, q(l.driftSpec()), strings.TrimSuffix(prefix, "]"), q(o.Runc), q(l.runcRoot()))
}

// writeDriftSpecs writes containerd's own default spec with the drift
// capability added to every set, as the drift handler's base spec.
func writeDriftSpecs(l layout) error {
	ctx := namespaces.WithNamespace(context.Background(), CRINamespace)
	s, err := oci.GenerateSpec(ctx, nil, &containers.Container{ID: "drift-base"})
	if err != nil {
		return fmt.Errorf("default spec: %w", err)
	}
	c := s.Process.Capabilities
	c.Bounding = append(c.Bounding, DriftCapability)
	c.Effective = append(c.Effective, DriftCapability)
	c.Permitted = append(c.Permitted, DriftCapability)
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(l.driftSpec(), b, 0o644)
}
