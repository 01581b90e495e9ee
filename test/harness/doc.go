// Package harness runs a private containerd and launches pods through CRI the
// way the kubelet would, so tests, the demo and benchmarks can observe real
// containers on this node.
//
// It provides:
//   - StartContainerd: a containerd with its own root, state, socket, config,
//     CNI network and cgroup parent, torn down by Stop (idempotent).
//   - BuildImages/ImportImages: OCI image archives built locally (busybox-static
//     with applet links, a setuid-root escalation helper, a tiny Go pause),
//     imported into the CRI namespace "k8s.io".
//   - Launcher: Pod manifest → RunPodSandbox/CreateContainer/StartContainer with
//     the kubelet's translation rules (see translate.go), optionally
//     mistranslating one named field on purpose (see mistranslate.go), and
//     the kubelet's own mounts: its managed /etc/hosts (read-write) and a
//     termination-message file per container (see podfiles.go). It does not
//     emulate admission (no service-account token volume).
//   - User-namespaced pods (hostUsers: false) on a runtime whose CRI Status
//     says it supports them (containerd 2 with runc 1.2+: RTAUDIT_CONTAINERD,
//     RTAUDIT_RUNC), each with its own block of 65536 host IDs from 1<<20
//     (see userns.go); refused with the kubelet's error elsewhere.
//   - Runtime handlers a pod selects with runtimeClassName (a RuntimeClass
//     is named after its handler): the default runc; DriftHandler, whose
//     base OCI spec adds a capability (runtimeclass.go); CrunHandler, crun
//     instead of runc when crun is installed (crun.go; RTAUDIT_CRUN).
//
// It is test infrastructure: product packages (agent/..., probes, cmd/rtaudit)
// must not import it, and it must not import them either, so the auditor is
// never tested against its own assumptions.
package harness
