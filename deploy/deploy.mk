# Image and deployment targets, included from the top Makefile.
#   make image-archive  bin/rtaudit (static, version-stamped) and its OCI
#                       image archive bin/rtaudit-image.tar, without Docker:
#                       ctr -n k8s.io images import bin/rtaudit-image.tar
#   make helm           Helm $(HELM_VERSION) into $(HELM_CACHE), once per machine
#   make deploy-check   render the kustomize tree and the chart, and run
#                       their least-privilege test (deploy/deploy_test.go)

GO            ?= go
BIN           ?= bin/rtaudit
VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
IMAGE_REF     ?= rtaudit.local/rtaudit:test
IMAGE_ARCHIVE ?= bin/rtaudit-image.tar
IMAGE_ARCH    ?= $(shell $(GO) env GOARCH)
HELM_VERSION  ?= v4.3.2
HELM_CACHE    ?= /var/cache/rtaudit/helm-$(HELM_VERSION)
HELM          ?= $(HELM_CACHE)/helm
K8S_CACHE     ?= $(or $(CLUSTER_CACHE),/var/cache/rtaudit/k8s-v1.37.2)
KUBECTL       ?= $(K8S_CACHE)/kubectl

.PHONY: image-archive helm deploy-check

## image-archive: the image the Dockerfile builds, as an OCI layout tarball.
image-archive:
	CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) $(GO) build -trimpath \
		-ldflags "-s -w -X github.com/rtaudit/rtaudit/agent/cli.Version=$(VERSION)" -o $(BIN) ./cmd/rtaudit
	$(GO) run ./test/image/cmd/rtaudit-image -binary $(BIN) -ref $(IMAGE_REF) -version $(VERSION) -o $(IMAGE_ARCHIVE)

## helm: built from the Go module proxy (about 3 min cold), cached by version.
helm: $(HELM)

$(HELM):
	mkdir -p $(HELM_CACHE)
	cd / && GOBIN=$(HELM_CACHE) CGO_ENABLED=0 GOFLAGS= GOWORK=off go install -trimpath \
		-ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$(HELM_VERSION)" \
		helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)

## deploy-check: kubectl comes from make cluster-build; without it only the
## chart is rendered here, and the Go test fails (RTAUDIT_REQUIRE_CLUSTER=1).
deploy-check: helm
	@if [ -x $(KUBECTL) ]; then \
		for k in deploy deploy/overlays/containerd deploy/overlays/crio deploy/overlays/k3s; do \
			echo "# $(KUBECTL) kustomize $$k"; $(KUBECTL) kustomize $$k >/dev/null || exit 1; \
		done; \
	else echo "# no $(KUBECTL) (make cluster-build): kustomize not rendered"; fi
	$(HELM) lint deploy/helm/rtaudit
	$(HELM) template rtaudit deploy/helm/rtaudit --namespace rtaudit-system >/dev/null
	RTAUDIT_REQUIRE_CLUSTER=1 RTAUDIT_K8S_CACHE=$(K8S_CACHE) RTAUDIT_HELM=$(HELM) $(GO) test -count=1 ./deploy/ ./test/image/
