package declared

import "os"

// NodeName is the node a scan audits and whose pods it asks the API
// server for, in one place so the two never differ: the explicit name,
// else $NODE_NAME (the downward API in the DaemonSet), else the host name.
func NodeName(explicit string) string {
	if explicit != "" {
		return explicit
	}
	if n := os.Getenv("NODE_NAME"); n != "" {
		return n
	}
	n, _ := os.Hostname()
	return n
}
