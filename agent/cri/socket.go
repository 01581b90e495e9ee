package cri

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// maxSymlinks bounds symlink resolution inside the host root, as the
// kernel's ELOOP limit does.
const maxSymlinks = 40

// socketPath turns a CRI endpoint ("unix:///run/x.sock", or a bare absolute
// path, as crictl accepts) into its path on the host, without the host root.
func socketPath(endpoint string) (string, error) {
	p := endpoint
	if scheme, rest, ok := strings.Cut(endpoint, "://"); ok {
		if scheme != "unix" {
			return "", fmt.Errorf("runtime endpoint %q: only unix sockets are supported (unix:///path/to.sock)", endpoint)
		}
		p = rest
	}
	if p == "" || !path.IsAbs(p) {
		return "", fmt.Errorf("runtime endpoint %q: want an absolute socket path such as unix:///run/containerd/containerd.sock", endpoint)
	}
	return path.Clean(p), nil
}

// inRoot resolves hostPath as the host would see it, inside root. Symlinks
// are followed with absolute targets re-rooted, so /host/var/run -> /run
// lands on /host/run rather than the agent's own /run. Root "" means "/". The final component is not resolved when it
// does not exist, so the caller's stat reports the missing file.
func inRoot(root, hostPath string) (string, error) {
	if root == "" {
		root = "/"
	}
	rest := strings.Split(strings.Trim(filepath.Clean(hostPath), "/"), "/")
	resolved := "/" // the path inside root resolved so far
	for hops := 0; len(rest) > 0; {
		name := rest[0]
		rest = rest[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			resolved = filepath.Dir(resolved)
			continue
		}
		next := filepath.Join(resolved, name)
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			// Not a symlink, or missing: keep the name as is.
			resolved = next
			continue
		}
		if hops++; hops > maxSymlinks {
			return "", fmt.Errorf("resolve %s under %s: too many symlinks", hostPath, root)
		}
		if filepath.IsAbs(target) {
			resolved = "/"
		}
		rest = append(strings.Split(strings.Trim(target, "/"), "/"), rest...)
	}
	return filepath.Join(root, resolved), nil
}

// candidate is one socket to try: the endpoint as the host spells it and
// the file the agent dials.
type candidate struct {
	endpoint string
	socket   string
}

// errNoSocket is wrapped by the error for a socket file that is not there.
var errNoSocket = errors.New("no CRI socket")

// candidates lists the sockets to try for endpoint (or, when empty, the
// default ones) under hostRoot.
func candidates(endpoint, hostRoot string) ([]candidate, error) {
	endpoints := DefaultEndpoints
	if endpoint != "" {
		endpoints = []string{endpoint}
	}
	var out []candidate
	seen := map[string]bool{}
	for _, ep := range endpoints {
		p, err := socketPath(ep)
		if err != nil {
			return nil, err
		}
		sock, err := inRoot(hostRoot, p)
		if err != nil {
			return nil, err
		}
		if seen[sock] {
			continue // /var/run/x and /run/x are one socket on most hosts
		}
		seen[sock] = true
		out = append(out, candidate{endpoint: "unix://" + p, socket: sock})
	}
	return out, nil
}

// checkSocket says whether sock is there and is a socket.
func checkSocket(sock string) error {
	fi, err := os.Stat(sock)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%w at %s: is the runtime running? are --runtime-endpoint and --host-root right?", errNoSocket, sock)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("stat %s: permission denied: run as root or as a member of the group that owns the socket's directory", sock)
	case err != nil:
		return fmt.Errorf("stat %s: %w", sock, err)
	case fi.Mode()&os.ModeSocket == 0:
		return fmt.Errorf("%s is not a unix socket (mode %s): check the runtime endpoint", sock, fi.Mode())
	}
	return nil
}
