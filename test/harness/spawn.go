package harness

import (
	"os/exec"
	"runtime"
	"sync"
)

// Pdeathsig is sent when the *thread* that forked the child exits, not the
// process: a daemon started from an ordinary goroutine dies at random when
// the Go runtime retires that thread. StartDaemon therefore starts every
// child from one goroutine locked to its OS thread for the life of the
// process.
var spawner struct {
	once sync.Once
	reqs chan spawnReq
}

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

// StartDaemon starts cmd (whose SysProcAttr may set Pdeathsig) from a
// thread that lives as long as this process.
func StartDaemon(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread outlives every child
			for r := range spawner.reqs {
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	spawner.reqs <- spawnReq{cmd, done}
	return <-done
}
