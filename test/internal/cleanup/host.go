package cleanup

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/moby/sys/mountinfo"
)

// UnmountUnder detaches every mount below dir (from the caller's
// /proc/self/mountinfo), deepest first. A mount already gone is not an
// error.
func UnmountUnder(dir string) error {
	mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		return fmt.Errorf("cleanup: read mountinfo: %w", err)
	}
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i].Mountpoint) > len(mounts[j].Mountpoint) })
	var errs []error
	for _, m := range mounts {
		if err := syscall.Unmount(m.Mountpoint, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("cleanup: unmount %s: %w", m.Mountpoint, err))
		}
	}
	return errors.Join(errs...)
}

// DeleteLink deletes the network link name (`ip link delete`) if
// /sys/class/net shows it; "" does nothing.
func DeleteLink(name string) {
	if name == "" {
		return
	}
	if _, err := os.Stat(filepath.Join("/sys/class/net", name)); err != nil {
		return
	}
	_ = exec.Command("ip", "link", "delete", name).Run()
}

// CgroupDirs returns the directory rel (a cgroup path such as
// "/k8s.io") in every mounted cgroup hierarchy, v1 and v2, whether it
// exists or not. It returns nil when mountinfo cannot be read.
func CgroupDirs(rel string) []string {
	mounts, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		return nil
	}
	dirs := make([]string, 0, len(mounts))
	for _, m := range mounts {
		dirs = append(dirs, filepath.Join(m.Mountpoint, rel))
	}
	return dirs
}
