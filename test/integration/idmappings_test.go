package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// TestIDMappingsUserns: for a hostUsers: false pod on containerd 2 and
// runc, the three layers id-mappings compares agree, read here without
// the product (the CRI config's userns_options and the OCI spec from the
// verbose status, the kernel's uid_map), and the audit reports nothing.
func TestIDMappingsUserns(t *testing.T) {
	lab := usernsLab(t)
	a := launchDeclared(t, lab, podYAML("idmap", "  hostUsers: false\n  securityContext: {runAsUser: 1000}\n  containers:\n"+sleeper))
	rt, err := lab.RuntimeService()
	if err != nil {
		t.Fatal(err)
	}
	id := a.pod.Containers["main"]
	st, err := rt.ContainerStatus(context.Background(), &runtimeapi.ContainerStatusRequest{ContainerId: id, Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Config struct {
			Linux struct {
				SecurityContext struct {
					NamespaceOptions struct {
						UsernsOptions struct {
							Uids []struct {
								HostID      uint32 `json:"host_id"`
								ContainerID uint32 `json:"container_id"`
								Length      uint32 `json:"length"`
							} `json:"uids"`
						} `json:"userns_options"`
					} `json:"namespace_options"`
				} `json:"security_context"`
			} `json:"linux"`
		} `json:"config"`
		RuntimeSpec struct {
			Linux struct {
				UIDMappings []struct {
					ContainerID uint32 `json:"containerID"`
					HostID      uint32 `json:"hostID"`
					Size        uint32 `json:"size"`
				} `json:"uidMappings"`
			} `json:"linux"`
		} `json:"runtimeSpec"`
	}
	if err := json.Unmarshal([]byte(st.GetInfo()["info"]), &info); err != nil {
		t.Fatal(err)
	}
	uids := info.Config.Linux.SecurityContext.NamespaceOptions.UsernsOptions.Uids
	oci := info.RuntimeSpec.Linux.UIDMappings
	if len(uids) != 1 || len(oci) != 1 {
		t.Fatalf("CRI uids %+v, OCI uidMappings %+v: want one range each", uids, oci)
	}
	cri := fmt.Sprintf("%d %d %d", uids[0].ContainerID, uids[0].HostID, uids[0].Length)
	if got := fmt.Sprintf("%d %d %d", oci[0].ContainerID, oci[0].HostID, oci[0].Size); got != cri {
		t.Errorf("OCI %s, CRI %s", got, cri)
	}
	pid, err := a.pod.PID(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(strings.Fields(readMap(t, pid, "uid_map")), " "); got != cri {
		t.Errorf("uid_map %q, CRI %s", got, cri)
	}
	r := scanOf(t, lab, a)
	if got := drifts(r); len(got) != 0 {
		t.Errorf("findings %v, want none:%s", got, dump(r))
	}
}
