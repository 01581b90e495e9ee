package clustercli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/rtaudit/rtaudit/test/cluster"
)

// DefaultDir is the dev cluster's directory unless --dir or
// $CLUSTER_DIR says otherwise.
func DefaultDir() string {
	if d := os.Getenv("CLUSTER_DIR"); d != "" {
		return d
	}
	return "/var/tmp/rtaudit-cluster"
}

const usage = "usage: clusterctl build|up|down|status [flags] (see clusterctl CMD -h)"

// Run executes one clusterctl command, writing results to out.
func Run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	cmd, rest := args[0], args[1:]
	fs := flag.NewFlagSet("clusterctl "+cmd, flag.ContinueOnError)
	fs.SetOutput(out)
	dir := fs.String("dir", DefaultDir(), "cluster directory")
	cache := fs.String("cache", cluster.DefaultCacheDir(), "Kubernetes binary cache")
	switch cmd {
	case "build":
		if err := fs.Parse(rest); err != nil {
			return err
		}
		return build(*cache, out)
	case "up":
		node := fs.String("node-name", cluster.DefaultNodeName, "node name")
		seccompDefault := fs.Bool("seccomp-default", false, "run the kubelet with seccompDefault: true")
		runtime := fs.String("runtime", "", "the kubelet's runtime: containerd or crio (default $"+cluster.RuntimeEnv+", else containerd; crio needs $RTAUDIT_CRIO)")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if err := build(*cache, out); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		c, err := cluster.Start(ctx, cluster.Options{Dir: *dir, CacheDir: *cache, NodeName: *node, Detach: true, SeccompDefault: *seccompDefault, Runtime: *runtime})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "cluster up in %s (node %s Ready %s after the kubelet started)\n",
			c.UpTime.Round(time.Millisecond), c.NodeName(), c.ReadyTime.Round(time.Millisecond))
		printInfo(out, c)
		return nil
	case "down":
		if err := fs.Parse(rest); err != nil {
			return err
		}
		c, err := cluster.Attach(*dir)
		if err != nil {
			return err
		}
		return c.Stop()
	case "status":
		if err := fs.Parse(rest); err != nil {
			return err
		}
		c, err := cluster.Attach(*dir)
		if err != nil {
			return err
		}
		if !c.Running() {
			return fmt.Errorf("cluster in %s is not fully running (clusterctl down cleans it up)", *dir)
		}
		printInfo(out, c)
		return nil
	default:
		return fmt.Errorf("unknown command %q; %s", cmd, usage)
	}
}

func build(cache string, out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 85*time.Minute) // cold, on a loaded 2-core host
	defer cancel()
	bins, times, err := cluster.Build(ctx, cache)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(times))
	for n := range times {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(out, "built %s in %s\n", n, times[n].Round(time.Second))
	}
	fmt.Fprintf(out, "kube-apiserver %s\nkubelet %s\nkubectl %s\n", bins.APIServer, bins.Kubelet, bins.Kubectl)
	return nil
}

func printInfo(out io.Writer, c *cluster.Cluster) {
	fmt.Fprintf(out, "node %s (%s)\nkubeconfig %s\nendpoint %s\nkubectl %s\n", c.NodeName(), c.NodeIP(), c.Kubeconfig(), c.Endpoint(), c.Binaries().Kubectl)
	fmt.Fprintf(out, "try: KUBECONFIG=%s %s get nodes -o wide\n", c.Kubeconfig(), c.Binaries().Kubectl)
	fmt.Fprintf(out, "pods need spec.nodeName: %s (no scheduler runs)\n", c.NodeName())
}
