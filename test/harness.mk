# Test-lab targets, included from the top Makefile. Everything runs as root.
#   make images    build the OCI archives (busybox, pause) into the cache
#   make lab-up    start a private containerd in $(LAB_DIR) with the images
#   make lab-down  stop it and remove $(LAB_DIR)
# labctl (test/harness/cmd/labctl) also runs, execs into and deletes pods:
#   $(LABCTL) run --dir $(LAB_DIR) [--mistranslate FIELD] POD.yaml

LAB_DIR       ?= /var/tmp/rtaudit-lab
LAB_CACHE     ?= /var/tmp/rtaudit-harness-cache
LABCTL        ?= bin/labctl
GO            ?= go

# Integration tests must run, not skip, wherever make runs them (CI is root
# with test/setup.sh applied). Set RTAUDIT_REQUIRE_LAB=0 to allow skipping.
RTAUDIT_REQUIRE_LAB ?= 1
export RTAUDIT_REQUIRE_LAB

.PHONY: labctl images lab-up lab-down

labctl:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(LABCTL) ./test/harness/cmd/labctl

images: labctl
	$(LABCTL) images --cache $(LAB_CACHE)

lab-up: labctl
	bash test/setup.sh
	$(LABCTL) up --dir $(LAB_DIR) --cache $(LAB_CACHE)

lab-down: labctl
	$(LABCTL) down --dir $(LAB_DIR)
