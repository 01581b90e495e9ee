package labcli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rtaudit/rtaudit/test/harness"
)

// DefaultDir is the lab directory unless --dir or $LAB_DIR says otherwise.
func DefaultDir() string {
	if d := os.Getenv("LAB_DIR"); d != "" {
		return d
	}
	return "/var/tmp/rtaudit-lab"
}

const usage = "usage: labctl up|run|exec|delete|down|images|fields [flags] (see labctl CMD -h)"

// Run executes one labctl command.
func Run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	cmd, rest := args[0], args[1:]
	fs := flag.NewFlagSet("labctl "+cmd, flag.ContinueOnError)
	fs.SetOutput(out)
	dir := fs.String("dir", DefaultDir(), "lab directory")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	switch cmd {
	case "up":
		cache := fs.String("cache", harness.DefaultCacheDir(), "image cache directory")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		lab, err := harness.StartLab(ctx, harness.Options{Dir: *dir, Detach: true}, *cache)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "endpoint %s\npid %d\nup in %s\n", lab.Endpoint(), lab.PID(), lab.UpTime.Round(time.Millisecond))
		return nil
	case "down":
		if err := fs.Parse(rest); err != nil {
			return err
		}
		c, err := harness.Attach(*dir)
		if err != nil {
			return err
		}
		return c.Stop()
	case "images":
		cache := fs.String("cache", harness.DefaultCacheDir(), "image cache directory")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		a, err := harness.BuildImages(*cache)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s %s\n%s %s\n", harness.BusyboxImage, a.Busybox, harness.PauseImage, a.Pause)
		return nil
	case "fields":
		for _, f := range append(harness.MistranslationFields(), harness.UsernsMistranslationFields()...) {
			m, _ := harness.LookupMistranslation(f)
			note := ""
			if m.NeedsUserNamespaces {
				note = " (needs containerd 2 and runc 1.2+)"
			}
			fmt.Fprintf(out, "%-25s %s%s\n", f, m.Description, note)
		}
		return nil
	case "run":
		mis := fs.String("mistranslate", "", "mistranslate this field on purpose (labctl fields)")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			return errors.New("run: no manifest given")
		}
		lab, err := harness.AttachLab(*dir)
		if err != nil {
			return err
		}
		var opts []harness.Option
		if *mis != "" {
			opts = append(opts, harness.WithMistranslation(*mis))
		}
		for _, path := range fs.Args() {
			pod, err := harness.LoadPod(path)
			if err != nil {
				return err
			}
			p, err := lab.Launcher.Run(ctx, pod, opts...)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "pod %s/%s sandbox %s", p.Spec.Namespace, p.Spec.Name, p.SandboxID)
			if p.Mistranslated != "" {
				fmt.Fprintf(out, " mistranslated %s", p.Mistranslated)
			}
			fmt.Fprintln(out)
			for _, c := range p.Spec.Spec.Containers {
				pid, err := p.PID(ctx, c.Name)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "  container %s id %s pid %d\n", c.Name, p.Containers[c.Name], pid)
			}
		}
		return nil
	case "exec":
		podRef := fs.String("pod", "", "NAMESPACE/NAME")
		container := fs.String("container", "", "container name (default: the only/first one)")
		user := fs.String("user", "0", "UID[:GID] to run as")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			return errors.New("exec: no command given (labctl exec --pod NS/NAME -- CMD...)")
		}
		uid, gid, err := parseUser(*user)
		if err != nil {
			return err
		}
		ns, name, err := harness.SplitPodRef(*podRef)
		if err != nil {
			return err
		}
		lab, err := harness.AttachLab(*dir)
		if err != nil {
			return err
		}
		if *container == "" {
			return errors.New("exec: --container is required")
		}
		id, err := lab.Launcher.FindContainer(ctx, ns, name, *container)
		if err != nil {
			return err
		}
		pid, err := lab.Launcher.ExecAs(ctx, id, uid, gid, fs.Args()...)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "exec pid %d\n", pid)
		return nil
	case "delete":
		podRef := fs.String("pod", "", "NAMESPACE/NAME")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		ns, name, err := harness.SplitPodRef(*podRef)
		if err != nil {
			return err
		}
		lab, err := harness.AttachLab(*dir)
		if err != nil {
			return err
		}
		id, err := lab.Launcher.FindSandbox(ctx, ns, name)
		if err != nil {
			return err
		}
		return lab.Launcher.DeleteSandbox(ctx, id)
	}
	return fmt.Errorf("unknown command %q; %s", cmd, usage)
}

// parseUser parses "UID" or "UID:GID" (GID defaults to UID).
func parseUser(s string) (uint32, uint32, error) {
	u, g, found := strings.Cut(s, ":")
	uid, err := strconv.ParseUint(u, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("--user %q: want UID[:GID]", s)
	}
	gid := uid
	if found {
		if gid, err = strconv.ParseUint(g, 10, 32); err != nil {
			return 0, 0, fmt.Errorf("--user %q: want UID[:GID]", s)
		}
	}
	return uint32(uid), uint32(gid), nil
}
