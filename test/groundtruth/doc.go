// Package groundtruth holds the tests that take a real kubelet (v1.37.2,
// test/cluster) as the ground truth for rtaudit's expectations: every pod of
// the matrix (test/matrix) is applied through the API server, and
//
//   - the audit, declared by the API server (kube-api source), must give no
//     finding except the matrix's known drifts;
//   - the kernel state the kubelet produced must equal what the harness's
//     launcher produces for the same manifest on a separate lab, except for
//     the differences listed and explained in the tests;
//   - drifts a real cluster can suffer (a RuntimeClass whose handler adds a
//     capability, a root exec behind the kubelet's back, a pod deleted from
//     the API while its container runs) give exactly their check, layer and
//     PID;
//   - the pod features only a kubelet makes are judged right: kubectl debug
//     ephemeral containers of every profile, init and sidecar containers,
//     supplementalGroupsPolicy Merge and Strict, the kubelet's
//     seccompDefault on and off, and user-namespaced pods (hostUsers: false,
//     on containerd v2 with runc 1.5; refused on containerd 1.6).
//
// The package has no code outside its tests. It is test infrastructure:
// product packages must not import it. The launcher never runs pods on the
// cluster's containerd (the kubelet removes sandboxes it did not create).
package groundtruth
