// Command floor does the least work that could produce the answer of
// `rtaudit scan`, with the same concurrency, and prints a small JSON
// summary. It is the yardstick of the scan bench (test/bench): what talking
// CRI and reading /proc cost on this node, before any parsing or checking.
//
//   - CRI: one ListContainers, then one verbose ContainerStatus per running
//     container on 8 workers (as rtaudit's agent/cri), decoding only the
//     init PID from the verbose info (encoding/json still scans the whole
//     document, as any reader must). With -sandboxes, also one
//     ListPodSandbox and a verbose PodSandboxStatus per ready sandbox (its
//     PID), in the same pool of workers: what rtaudit needs of sandboxes
//     (their namespace options, and their processes for the hidden-process
//     search).
//   - /proc: one pass over every process reading its cgroup and its pid and
//     net namespace links (what finding a container's processes and the
//     hidden-process search need), then, for each process of each container
//     (same pid namespace, a cgroup naming the container ID), its status,
//     its eight ns/* links and its mountinfo, containers spread over
//     GOMAXPROCS workers (as rtaudit's scan).
//
// It imports nothing of rtaudit: it speaks CRI with k8s.io/cri-api and grpc
// and reads /proc directly.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// criWorkers is the number of concurrent ContainerStatus calls.
const criWorkers = 8

var nsKinds = []string{"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"}

type container struct {
	ID        string `json:"id"`
	PID       int    `json:"pid"`
	Processes int    `json:"processes"`
}

// proc is what the one pass over /proc learns of a process.
type proc struct {
	pid         int
	cgroup      string
	pidNS, net  string
	hostPID     bool
	hostNetwork bool
}

func main() {
	endpoint := flag.String("runtime-endpoint", "unix:///run/containerd/containerd.sock", "CRI endpoint")
	procRoot := flag.String("proc", "/proc", "proc root")
	sandboxes := flag.Bool("sandboxes", false, "also read every ready sandbox's verbose status")
	flag.Parse()
	if err := run(*endpoint, *procRoot, *sandboxes); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(endpoint, root string, sandboxes bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20)))
	if err != nil {
		return err
	}
	defer conn.Close()
	rs := runtimeapi.NewRuntimeServiceClient(conn)
	list, err := rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	if err != nil {
		return err
	}
	var ctrs []*container
	for _, c := range list.GetContainers() {
		if c.GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING {
			ctrs = append(ctrs, &container{ID: c.GetId()})
		}
	}
	var sbs []*runtimeapi.PodSandbox
	if sandboxes {
		list, err := rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
		if err != nil {
			return err
		}
		for _, sb := range list.GetItems() {
			if sb.GetState() == runtimeapi.PodSandboxState_SANDBOX_READY {
				sbs = append(sbs, sb)
			}
		}
	}
	sbPIDs := make([]int, len(sbs))
	if err := parallel(len(ctrs)+len(sbs), criWorkers, func(i int) error {
		var info map[string]string
		if i < len(ctrs) {
			resp, err := rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: ctrs[i].ID, Verbose: true})
			if err != nil {
				return err
			}
			info = resp.GetInfo()
		} else {
			resp, err := rs.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: sbs[i-len(ctrs)].GetId(), Verbose: true})
			if err != nil {
				return err
			}
			info = resp.GetInfo()
		}
		var pid struct {
			PID int `json:"pid"`
		}
		if err := json.Unmarshal([]byte(info["info"]), &pid); err != nil {
			return err
		}
		if i < len(ctrs) {
			ctrs[i].PID = pid.PID
		} else {
			sbPIDs[i-len(ctrs)] = pid.PID
		}
		return nil
	}); err != nil {
		return err
	}

	procs, err := scanProc(root)
	if err != nil {
		return err
	}
	byPID := make(map[int]*proc, len(procs))
	byNS := map[string][]*proc{}
	for _, p := range procs {
		byPID[p.pid] = p
		byNS[p.pidNS] = append(byNS[p.pidNS], p)
	}
	err = parallel(len(ctrs), runtime.GOMAXPROCS(0), func(i int) error {
		c := ctrs[i]
		init := byPID[c.PID]
		if init == nil {
			return nil
		}
		buf := make([]byte, 16<<10)
		var link [64]byte
		for _, p := range byNS[init.pidNS] {
			if !strings.Contains(p.cgroup, c.ID) {
				continue
			}
			dir := root + "/" + strconv.Itoa(p.pid) + "/"
			_, _ = readFile(dir+"status", &buf)
			for _, k := range nsKinds {
				_, _ = syscall.Readlink(dir+"ns/"+k, link[:])
			}
			_, _ = readFile(dir+"mountinfo", &buf)
			c.Processes++
		}
		return nil
	})
	if err != nil {
		return err
	}
	hidden := 0
	for _, p := range procs {
		if !p.hostPID || !p.hostNetwork {
			hidden++ // an upper bound: container processes are counted too
		}
	}
	sbRunning := 0
	for _, pid := range sbPIDs {
		if byPID[pid] != nil {
			sbRunning++
		}
	}
	return json.NewEncoder(os.Stdout).Encode(struct {
		Containers []*container `json:"containers"`
		Sandboxes  int          `json:"sandboxes"`
		Foreign    int          `json:"foreignNamespaces"`
	}{ctrs, sbRunning, hidden})
}

// scanProc reads the cgroup and the pid and net namespace links of every
// process under root.
func scanProc(root string) ([]*proc, error) {
	d, err := os.Open(root)
	if err != nil {
		return nil, err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 4096)
	var link [64]byte
	readNS := func(dir, kind string) string {
		n, err := syscall.Readlink(dir+"ns/"+kind, link[:])
		if err != nil {
			return ""
		}
		return string(link[:n])
	}
	host := root + "/1/"
	hostPID, hostNet := readNS(host, "pid"), readNS(host, "net")
	var out []*proc
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		dir := root + "/" + name + "/"
		cg, err := readFile(dir+"cgroup", &buf)
		if err != nil {
			continue
		}
		p := &proc{pid: pid, cgroup: string(cg), pidNS: readNS(dir, "pid"), net: readNS(dir, "net")}
		p.hostPID, p.hostNetwork = p.pidNS == hostPID, p.net == hostNet
		out = append(out, p)
	}
	return out, nil
}

// readFile reads a whole proc file into *buf with raw syscalls.
func readFile(path string, buf *[]byte) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	b := (*buf)[:cap(*buf)]
	n := 0
	for {
		if n == len(b) {
			b = append(b, make([]byte, len(b))...)
			*buf = b
		}
		m, err := syscall.Read(fd, b[n:])
		if err != nil {
			return nil, err
		}
		if m == 0 {
			return b[:n], nil
		}
		n += m
	}
}

// parallel calls fn(0..n-1) on at most workers goroutines and returns the
// first error.
func parallel(n, workers int, fn func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}
