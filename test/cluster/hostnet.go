package cluster

import (
	"fmt"
	"hash/fnv"
	"net"
	"os/exec"
	"strconv"
	"strings"

	"github.com/rtaudit/rtaudit/test/internal/cleanup"
)

// nodeAddress derives the node's interface name and address from the
// harness containerd's instance number ("rta<N>" bridge), so concurrent
// clusters never share them. The address is never routed anywhere: the
// kubelet only insists that the node IP is a local, non-loopback address.
func nodeAddress(bridge, dir string) (iface, ip string) {
	n, err := strconv.Atoi(strings.TrimPrefix(bridge, "rta"))
	if err != nil || n < 0 || n > 254 {
		h := fnv.New32a()
		h.Write([]byte(dir))
		n = int(h.Sum32()%200) + 20
	}
	return "rtk" + strconv.Itoa(n), fmt.Sprintf("10.232.%d.1", n)
}

// addNodeInterface creates iface holding ip/32: a dummy link where the
// kernel has the driver, else an empty bridge (always available where the
// harness's CNI bridge works).
func addNodeInterface(iface, ip string) error {
	cleanup.DeleteLink(iface)
	if err := exec.Command("ip", "link", "add", iface, "type", "dummy").Run(); err != nil {
		if msg, err := exec.Command("ip", "link", "add", iface, "type", "bridge").CombinedOutput(); err != nil {
			return fmt.Errorf("cluster: ip link add %s: %v: %s", iface, err, strings.TrimSpace(string(msg)))
		}
	}
	for _, args := range [][]string{
		{"addr", "add", ip + "/32", "dev", iface},
		{"link", "set", iface, "up"},
	} {
		if msg, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			cleanup.DeleteLink(iface)
			return fmt.Errorf("cluster: ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(msg)))
		}
	}
	return nil
}

// FreePorts returns n distinct free TCP ports on 127.0.0.1. They are
// released before use, so another process could take one in between; the
// daemon then fails to bind and reports it in its log.
func FreePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("cluster: free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
