//go:build !linux

package cri

// socketOwner names the group owning socket; only known on Linux.
func socketOwner(string) string { return "" }
