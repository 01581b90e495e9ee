# rtaudit — see README.md. Every target runs as root on a Debian host.
# rtaudit itself is built, vetted and tested with GO_TOOLCHAIN, the newest
# Go the module proxy serves here: go1.27.3 fixes 13 standard-library
# vulnerabilities of the machine's go1.26.8 (net/http's HTTP/2 server among
# them, which serves the agent's /metrics). The go command fetches it once
# per machine (76 MB, ~10 s). Tools built from other projects (Kubernetes,
# containerd, CRI-O, Helm, ...) keep the machine's Go, as they were tried.
GO_TOOLCHAIN ?= go1.27.3
GO      ?= env GOTOOLCHAIN=$(GO_TOOLCHAIN) go
BIN     ?= bin/rtaudit
LAB_DIR ?= /var/tmp/rtaudit-lab
PKGS    := ./...

.PHONY: all build test test-containerd-v2 test-crio test-crio-kubelet test-containerd-1.7 e2e e2e-kind staticcheck bench-agent unit vet fmt-check setup demo demo-down bench clean

include test/harness.mk
include test/cluster.mk
include deploy/deploy.mk
include test/bench/bench.mk
include deploy/krew/krew.mk

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o $(BIN) ./cmd/rtaudit

## setup: install what the harness needs (apt packages); idempotent.
setup:
	bash test/setup.sh

## test: everything CI runs — static checks, unit tests, integration tests
## against a private containerd, and the real-kubelet tier (root; nothing
## is skipped as root). The Kubernetes binaries are built once per machine.
test: setup cluster-setup fmt-check vet staticcheck vulncheck fuzz-smoke cluster-build kube-router helm
	RTAUDIT_REQUIRE_CLUSTER=1 RTAUDIT_K8S_CACHE=$(CLUSTER_CACHE) \
	RTAUDIT_CHURN_PODS=300 RTAUDIT_FAULT_CYCLES=20 RTAUDIT_HOSTILE_PROCS=10000 \
	$(GO) test -race -count=1 -timeout 30m $(PKGS)
	$(MAKE) test-containerd-v2
	$(MAKE) test-crio
	$(MAKE) test-crio-kubelet
	$(MAKE) test-containerd-1.7

## test-containerd-v2: the integration tests again on containerd v2 and runc
## v1.5.2 (built from the Go module proxy once per machine, cached in
## /var/cache/rtaudit); user-namespaced pods (hostUsers: false) run there.
test-containerd-v2:
	bin=$$(bash test/containerd-v2.sh) && runc=$$(bash test/runc.sh) && \
	RTAUDIT_CONTAINERD=$$bin RTAUDIT_RUNC=$$runc RTAUDIT_REQUIRE_CLUSTER=1 RTAUDIT_K8S_CACHE=$(CLUSTER_CACHE) \
	$(GO) test -race -count=1 -timeout 20m ./test/integration/ ./test/groundtruth/ ./test/e2e/

## prebuild: everything make test builds once per machine and caches by
## version (Kubernetes, Helm, staticcheck, kube-router, containerd v2 and
## 1.7, runc, CRI-O), built side by side: .ci/run calls it with -j first,
## so a cold run overlaps the builds' downloads and compiles.
.PHONY: prebuild runtimes
prebuild: cluster-build helm $(STATICCHECK) kube-router runtimes
runtimes:
	bash test/containerd-v2.sh >/dev/null
	bash test/runc.sh >/dev/null
	bash test/crio.sh >/dev/null
	bash test/containerd-1.7.sh >/dev/null

## test-crio: the CRI-O tier (test/crio): CRI-O v1.34.0 built once from
## the Go module proxy (test/crio.sh, cached in /var/cache/rtaudit), run
## privately with its default runtime crun, then runc: compliant matrix,
## mistranslations, privileged capability sets.
test-crio:
	bin=$$(bash test/crio.sh) && for rt in crun runc; do \
		RTAUDIT_CRIO=$$bin RTAUDIT_CRIO_RUNTIME=$$rt RTAUDIT_REQUIRE_CRIO=1 \
		$(GO) test -race -count=1 -timeout 15m ./test/crio/ || exit 1; \
	done

## test-crio-kubelet: the real kubelet v1.37.2 on CRI-O (test/cluster with
## RTAUDIT_CLUSTER_RUNTIME=crio, CRI-O's default runtime crun): the
## cluster's smoke tests and the ground-truth tier (test/groundtruth).
## Cached builds only (test/crio.sh, make cluster-build).
test-crio-kubelet: cluster-setup cluster-build kube-router
	bin=$$(bash test/crio.sh) && \
	RTAUDIT_CLUSTER_RUNTIME=crio RTAUDIT_CRIO=$$bin RTAUDIT_CRIO_RUNTIME=crun \
	RTAUDIT_REQUIRE_CLUSTER=1 RTAUDIT_K8S_CACHE=$(CLUSTER_CACHE) \
	$(GO) test -race -count=1 -timeout 20m ./test/cluster/ ./test/groundtruth/

## test-containerd-1.7: discovery smoke test on containerd v1.7.35 (built
## once from the Go module proxy by test/containerd-1.7.sh, cached in
## /var/cache/rtaudit): found at the default socket, named, a compliant pod
## audits clean.
test-containerd-1.7:
	bin=$$(bash test/containerd-1.7.sh) && \
	RTAUDIT_CONTAINERD17=$$bin RTAUDIT_REQUIRE_CONTAINERD17=1 \
	$(GO) test -race -count=1 -timeout 10m -run 'TestDiscover' ./test/integration/

## e2e: rtaudit deployed as users do (kubectl apply -k deploy/) on the real
## single-node cluster: the agent under the kubelet, Reports, waivers,
## metrics. make test runs it on containerd 1.6 and v2.
e2e: setup cluster-setup cluster-build helm
	RTAUDIT_REQUIRE_CLUSTER=1 RTAUDIT_K8S_CACHE=$(CLUSTER_CACHE) $(GO) test -race -count=1 -timeout 20m ./test/e2e/ ./deploy/

## unit: the tests that need neither root nor containerd.
unit:
	$(GO) test -count=1 ./probes/... ./agent/...

vet:
	$(GO) vet $(PKGS)

## staticcheck: honnef.co/go/tools, built once per machine from the Go
## module proxy and cached by version, with GO_TOOLCHAIN (a staticcheck
## built with an older Go cannot read the newer standard library).
STATICCHECK_VERSION ?= v0.8.2
STATICCHECK ?= /var/cache/rtaudit/staticcheck-$(STATICCHECK_VERSION)-$(GO_TOOLCHAIN)/staticcheck
$(STATICCHECK):
	mkdir -p $(dir $(STATICCHECK))
	cd / && GOBIN=$(dir $(STATICCHECK)) GOFLAGS= GOWORK=off $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(STATICCHECK)
	GOTOOLCHAIN=$(GO_TOOLCHAIN) $(STATICCHECK) $(PKGS)

## vulncheck: govulncheck against the Go vulnerability database built from
## the golang.org/x/vulndb module (both cached by version); reachable
## vulnerabilities fail unless test/vulncheck/accepted.txt accepts them.
.PHONY: vulncheck fuzz-smoke
vulncheck:
	GOTOOLCHAIN=$(GO_TOOLCHAIN) bash test/vulncheck.sh

## fuzz-smoke: every fuzz target for a few seconds (90 s of fuzzing at most);
## a crasher fails and is kept under the package's testdata/fuzz.
fuzz-smoke:
	GOTOOLCHAIN=$(GO_TOOLCHAIN) bash test/fuzz-smoke.sh

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## demo: a private containerd with the demo pods (deploy/examples; a pod's
## "# labctl-run:" line adds labctl run flags, a drift on purpose), then
## rtaudit scan against their manifests. The lab keeps running for more
## scans; make demo-down removes it.
DEMO_ENDPOINT := unix://$(LAB_DIR)/containerd.sock
demo: setup build labctl
	@$(LABCTL) down --dir $(LAB_DIR) >/dev/null 2>&1 || true
	$(LABCTL) up --dir $(LAB_DIR)
	@for f in deploy/examples/*.yaml; do grep -q '^kind: Pod$$' $$f || continue; $(LABCTL) run --dir $(LAB_DIR) $$(sed -n 's/^# labctl-run: //p' $$f) $$f || exit 1; done
	$(LABCTL) exec --dir $(LAB_DIR) --pod demo/exec-root --container app --user 0 -- sleep 3600
	@echo; echo "# rtaudit scan --runtime-endpoint $(DEMO_ENDPOINT) --pods deploy/examples -o wide"
	@$(BIN) scan --runtime-endpoint $(DEMO_ENDPOINT) --pods deploy/examples -o wide
	@echo; echo "(the lab is still up: try $(BIN) scan --runtime-endpoint $(DEMO_ENDPOINT) -o json; make demo-down removes it)"

demo-down: labctl
	$(LABCTL) down --dir $(LAB_DIR)

## e2e-kind: the demo on a kind cluster, for hosts with Docker (not CI).
e2e-kind:
	sh test/e2e/kind.sh

## bench: every benchmark (figures go into the README): the probes', the
## decoding, manifest and check microbenchmarks, the integration scan
## benchmark, the whole scan against its floor (bench-scan, about 5 min)
## and the agent at rest and from start to finding (bench-agent, about
## 6 min).
bench: setup
	$(GO) test -run '^$$' -bench . -benchmem ./probes/...
	$(GO) test -run '^$$' -bench 'Parse|ManifestDir|Evaluate' -benchmem ./agent/cri/ ./agent/declared/ ./agent/checks/
	RTAUDIT_REQUIRE_LAB=1 $(GO) test -run '^$$' -bench Scan -benchmem ./test/integration/
	$(MAKE) bench-scan
	$(MAKE) bench-agent

## bench-agent: the agent binary at rest on 250 pods (BENCH_AGENT_PODS; CPU, memory) and
## start-to-finding latency; figures in the test log (minutes).
BENCH_AGENT_PODS ?= 250
bench-agent: setup
	RTAUDIT_REQUIRE_LAB=1 RTAUDIT_AGENT_BENCH=1 RTAUDIT_AGENT_BENCH_PODS=$(BENCH_AGENT_PODS) $(GO) test -count=1 -v -timeout 30m -run TestAgentAtRest ./test/integration/

clean:
	rm -rf bin
