package deploy

import _ "embed" // the DaemonSet, for the kubectl plugin's short-lived pods

// DaemonSetYAML is base/daemonset.yaml: the agent's least-privilege pod
// template, which `kubectl rtaudit node|pod` derives its pods from, so the
// two cannot drift apart.
//
//go:embed base/daemonset.yaml
var DaemonSetYAML []byte
