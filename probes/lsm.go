package probes

import "bytes"

// parseLSMLabel turns the content of /proc/<pid>/attr/current into a label:
// the kernel ends it with a newline (AppArmor) or a NUL (SELinux).
func parseLSMLabel(data []byte) string {
	return string(bytes.TrimRight(data, "\n\x00"))
}
