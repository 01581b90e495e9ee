package cli

import (
	"context"
	"flag"

	"github.com/rtaudit/rtaudit/agent/declared"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// netpolFlags are scan's network-policy flags.
type netpolFlags struct {
	probe      bool
	cniConfDir string
}

func (f *netpolFlags) AddFlags(fs *flag.FlagSet) {
	fs.BoolVar(&f.probe, "netpol-probe", false, "prove NetworkPolicy enforcement: short TCP connects between this node's pods that the policies deny, from inside their network namespaces (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE)")
	fs.StringVar(&f.cniConfDir, "cni-conf-dir", "/etc/cni/net.d", "CNI configuration directory, read when the runtime's status does not name its network")
}

// networkOptions loads the NetworkPolicies from the declared source the
// flags name: the API server, or the NetworkPolicy objects of the --pods
// manifests (read with the pods, src). With no source, or stdin, the
// policies are unknown and the check is not judged; a listing that fails
// is a note, not a failed scan.
func (f *netpolFlags) networkOptions(ctx context.Context, pods string, src declared.Source, api *declared.KubeAPIOptions) (scan.NetworkOptions, string) {
	o := scan.NetworkOptions{Probe: f.probe, CNIConfDir: f.cniConfDir}
	var err error
	ix, manifests := src.(*declared.Index)
	switch {
	case pods != "" && pods != "-" && manifests:
		o.Policies, err = ix.NetworkPolicies()
	case api != nil:
		o.Policies, err = declared.LoadNetworkPolicies(ctx, *api)
	}
	if err != nil {
		return o, "network-policy not judged: " + err.Error()
	}
	return o, ""
}
