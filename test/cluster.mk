# Real single-node Kubernetes targets (test/cluster), included from the top
# Makefile. Everything runs as root.
#   make cluster-build  build kube-apiserver, kubelet, kubectl $(K8S_VERSION)
#                       into $(CLUSTER_CACHE) (once per machine; minutes)
#   make cluster-up     start a dev cluster in $(CLUSTER_DIR), print its
#                       kubeconfig
#   make cluster-down   stop it and remove $(CLUSTER_DIR)
#   make cluster-test   the cluster's own smoke tests (must run, not skip)

CLUSTER_DIR   ?= /var/tmp/rtaudit-cluster
CLUSTER_CACHE ?= /var/cache/rtaudit/k8s-v1.37.2
CLUSTERCTL    ?= bin/clusterctl
GO            ?= go

.PHONY: clusterctl cluster-setup cluster-build cluster-up cluster-down cluster-status cluster-test

clusterctl:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(CLUSTERCTL) ./test/cluster/cmd/clusterctl

cluster-setup:
	sh test/cluster/setup.sh

cluster-build: clusterctl
	$(CLUSTERCTL) build --cache $(CLUSTER_CACHE)

cluster-up: cluster-setup clusterctl
	$(CLUSTERCTL) up --dir $(CLUSTER_DIR) --cache $(CLUSTER_CACHE)

cluster-down: clusterctl
	$(CLUSTERCTL) down --dir $(CLUSTER_DIR)

cluster-status: clusterctl
	$(CLUSTERCTL) status --dir $(CLUSTER_DIR)

cluster-test: cluster-setup cluster-build
	RTAUDIT_REQUIRE_CLUSTER=1 RTAUDIT_K8S_CACHE=$(CLUSTER_CACHE) $(GO) test -race -count=1 -timeout 30m ./test/cluster/...

## kube-router: the NetworkPolicy enforcer the groundtruth tier runs on the
## test cluster (built once per machine, cached by version in
## /var/cache/rtaudit; cold about 12 min on a shared 2-core host, warm 0 s).
.PHONY: kube-router
kube-router:
	sh test/kube-router.sh >/dev/null
