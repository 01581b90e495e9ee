//go:build !linux

package runtime

// socketOwner names the group owning socket; only known on Linux.
func socketOwner(string) string { return "" }
