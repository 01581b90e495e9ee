#!/bin/sh
# End-to-end on kind (a Kubernetes node in a Docker container): for hosts
# with a Docker engine and the kind and kubectl binaries; not run in CI
# (there is no Docker engine there). Loads the locally built images, applies
# the demo pods, starts a root process behind the kubelet's back, and runs
# rtaudit on the node against the API server.
set -eu
cluster="${KIND_CLUSTER:-rtaudit}"
node="$cluster-control-plane"
for b in docker kind kubectl; do
	command -v "$b" >/dev/null || { echo "e2e-kind: $b not found" >&2; exit 2; }
done
make build labctl >/dev/null
archives=$(bin/labctl images)
kind get clusters | grep -qx "$cluster" || kind create cluster --name "$cluster" --wait 120s
trap 'kind delete cluster --name "$cluster"' EXIT
echo "$archives" | while read -r name path; do
	kind load image-archive --name "$cluster" "$path"
done
kubectl --context "kind-$cluster" create namespace demo --dry-run=client -o yaml | kubectl --context "kind-$cluster" apply -f -
# The drift RuntimeClass exists only in the lab's containerd.
for f in deploy/examples/restricted.yaml deploy/examples/exec-root.yaml; do
	sed 's/^spec:/spec:\n  nodeName: '"$node"'/' "$f" | kubectl --context "kind-$cluster" apply -f -
done
kubectl --context "kind-$cluster" -n demo wait --for=condition=Ready pod/restricted pod/exec-root --timeout=120s
cid=$(docker exec "$node" crictl ps --name app --label io.kubernetes.pod.name=exec-root -q)
docker exec -d "$node" ctr -n k8s.io task exec --user 0 --exec-id e2e-root "$cid" sleep 3600
docker cp bin/rtaudit "$node:/usr/local/bin/rtaudit"
set +e
docker exec "$node" rtaudit scan --kubeconfig /etc/kubernetes/admin.conf --node-name "$node" --namespace demo -o wide --fail-on high
code=$?
set -e
# The root exec must be found: exit 1 (findings at or above high).
[ "$code" = 1 ] || { echo "e2e-kind: rtaudit exited $code, want 1" >&2; exit 1; }
echo "e2e-kind: ok"
