package probes

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// FixtureMarker is the file probetest writes at the top of a proc tree it
// builds: OpenLive accepts such a tree too, so the commands can be tested
// end to end on captured hosts.
const FixtureMarker = ".rtaudit-proc-fixture"

// OpenLive is NewFS for the live system: procRoot must be a mounted proc
// filesystem (or a tree probetest built). A directory that is not one (a
// wrong --proc-root, a host mount without /proc) would otherwise make every
// process look gone.
func OpenLive(procRoot string) (FS, error) {
	fs, err := NewFS(procRoot)
	if err != nil {
		return FS{}, err
	}
	if _, err := os.Lstat(filepath.Join(fs.root, FixtureMarker)); err == nil {
		return fs, nil
	}
	var st unix.Statfs_t
	if err := unix.Statfs(fs.root, &st); err != nil {
		return FS{}, fmt.Errorf("probes: proc root %s: %w", fs.root, err)
	}
	if st.Type != unix.PROC_SUPER_MAGIC {
		return FS{}, fmt.Errorf("probes: proc root %s is not a proc filesystem (statfs type %#x): mount the host's /proc there or point --proc-root at it", fs.root, st.Type)
	}
	return fs, nil
}
