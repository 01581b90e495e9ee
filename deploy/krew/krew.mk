# The kubectl plugin, included from the top Makefile.
#   make plugin          bin/kubectl-rtaudit (static, version-stamped)
#   make plugin-archive  bin/kubectl-rtaudit_$(VERSION)_$(GOOS)_$(GOARCH).tar.gz
#                        and its .sha256: the release archive
#                        deploy/krew/rtaudit.yaml names (the binary at the
#                        archive's root)

PLUGIN_GOOS   ?= $(shell $(GO) env GOOS)
PLUGIN_GOARCH ?= $(shell $(GO) env GOARCH)
PLUGIN_BIN    ?= bin/kubectl-rtaudit
PLUGIN_ARCHIVE = bin/kubectl-rtaudit_$(VERSION)_$(PLUGIN_GOOS)_$(PLUGIN_GOARCH).tar.gz

.PHONY: plugin plugin-archive

plugin:
	CGO_ENABLED=0 GOOS=$(PLUGIN_GOOS) GOARCH=$(PLUGIN_GOARCH) $(GO) build -trimpath \
		-ldflags "-s -w" -o $(PLUGIN_BIN) ./cmd/kubectl-rtaudit

plugin-archive: plugin
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
		-C $(dir $(PLUGIN_BIN)) -czf $(PLUGIN_ARCHIVE) $(notdir $(PLUGIN_BIN))
	cd $(dir $(PLUGIN_ARCHIVE)) && sha256sum $(notdir $(PLUGIN_ARCHIVE)) > $(notdir $(PLUGIN_ARCHIVE)).sha256
	@cat $(PLUGIN_ARCHIVE).sha256
