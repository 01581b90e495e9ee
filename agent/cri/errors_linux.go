package cri

import (
	"fmt"
	"os"
	"syscall"
)

// socketOwner names the group owning socket, for a permission hint.
func socketOwner(socket string) string {
	fi, err := os.Stat(socket)
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf(" (gid %d, mode %s)", st.Gid, fi.Mode().Perm())
}
