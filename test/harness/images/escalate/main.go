// Command escalate is installed setuid-root in the test busybox image. Run by a
// non-root user it prints the credentials the kernel gave it: euid 0 unless
// no_new_privs (allowPrivilegeEscalation: false) blocked the setuid bit. With
// "hold" as its first argument it then sleeps, so a test can read
// /proc/<pid>/status of the escalated process.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	fmt.Printf("uid=%d euid=%d gid=%d egid=%d\n", os.Getuid(), os.Geteuid(), os.Getgid(), os.Getegid())
	if len(os.Args) > 1 && os.Args[1] == "hold" {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
		<-sigs
	}
}
