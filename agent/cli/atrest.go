package cli

import (
	"flag"

	"github.com/rtaudit/rtaudit/agent/scan"
)

// atRestFlags are scan's encryption-at-rest flags.
type atRestFlags struct{ judge, etcdProbe bool }

func (f *atRestFlags) AddFlags(fs *flag.FlagSet) {
	fs.BoolVar(&f.judge, "encryption-at-rest", false, "control-plane node: judge every kube-apiserver's encryption of secrets at rest (its --encryption-provider-config)")
	fs.BoolVar(&f.etcdProbe, "etcd-probe", false, "with --encryption-at-rest: prove it by reading one raw secret key from etcd with the API server's own client certificate (only its k8s:enc: prefix is checked; the value is dropped)")
}

func (f *atRestFlags) options() scan.EncryptionOptions {
	return scan.EncryptionOptions{Judge: f.judge || f.etcdProbe, EtcdProbe: f.etcdProbe}
}
