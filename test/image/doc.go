// Package image builds rtaudit's container image without a Docker engine:
// the same image the top-level Dockerfile describes (one layer holding the
// static binary at /usr/local/bin/rtaudit, run as uid 0 with the agent
// command), written as an OCI image-layout archive that `ctr images
// import`, containerd's Go client Import and `skopeo copy oci-archive:`
// accept.
//
// The build is reproducible: the same binary gives the same archive, byte
// for byte, whatever the file's mtime or the build time.
//
// Like test/harness, it must not import product code (agent/..., probes):
// it packages the binary as a file and reads its build info only through
// debug/buildinfo.
package image
