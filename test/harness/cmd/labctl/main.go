// Command labctl drives the test lab from the Makefile and the demo: a
// private containerd with the test images, and pods launched as the kubelet
// would (optionally mistranslating one field on purpose).
//
//	labctl up     [--dir D]                     start containerd in the background, import images
//	labctl run    [--dir D] [--mistranslate F] FILE.yaml...
//	labctl exec   [--dir D] --pod NS/NAME [--container C] [--user UID] -- CMD...
//	labctl delete [--dir D] --pod NS/NAME
//	labctl down   [--dir D]                     stop everything and remove D
//	labctl images [--cache DIR]                 build the OCI archives only
//	labctl fields                               list the mistranslatable fields
package main

import (
	"fmt"
	"os"

	"github.com/rtaudit/rtaudit/test/harness/labcli"
)

func main() {
	if err := labcli.Run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "labctl:", err)
		os.Exit(1)
	}
}
