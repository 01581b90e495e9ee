// Command kubectl-rtaudit is the kubectl plugin `kubectl rtaudit`: rtaudit
// on a node (node), on one pod's container (pod), and the agent's Reports
// (report), from kubectl.
package main

import (
	"os"

	"github.com/rtaudit/rtaudit/agent/plugin"
)

func main() {
	os.Exit(plugin.Main(os.Args[1:], plugin.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
