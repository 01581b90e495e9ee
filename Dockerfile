# rtaudit's image: the static binary on scratch, run as the DaemonSet agent.
# test/image builds the same image without Docker (make image-archive); keep
# the two in step: path, entrypoint, cmd, user, env, labels.
#
#   docker build --build-arg VERSION=v0.1.0 -t ghcr.io/rtaudit/rtaudit:v0.1.0 .
#   docker buildx build --platform linux/amd64,linux/arm64 ...   (cross-compiled, no emulation)

# Go 1.27.3: the Makefile's GO_TOOLCHAIN (standard-library fixes; README).
ARG GO_VERSION=1.27.3

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETOS=linux
ARG TARGETARCH
ARG VERSION=devel
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/rtaudit/rtaudit/agent/cli.Version=${VERSION}" \
      -o /out/rtaudit ./cmd/rtaudit

FROM scratch
ARG VERSION=devel
ARG REVISION=""
LABEL org.opencontainers.image.title="rtaudit" \
      org.opencontainers.image.description="Kubernetes node runtime security auditor (DaemonSet agent)" \
      org.opencontainers.image.source="https://github.com/rtaudit/rtaudit" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY --from=build /out/rtaudit /usr/local/bin/rtaudit
# uid 0, as the DaemonSet runs it: the CRI socket is root-owned 0660. The
# manifests drop every capability but CAP_SYS_PTRACE.
USER 0:0
WORKDIR /
ENTRYPOINT ["/usr/local/bin/rtaudit"]
CMD ["agent"]
