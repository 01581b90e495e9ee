// Command rtaudit audits the security posture that the kernel enforces on
// the containers of a Kubernetes node against the posture their pods declare.
package main

import (
	"os"

	"github.com/rtaudit/rtaudit/agent/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
