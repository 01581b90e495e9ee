package cli

import (
	"flag"
	"io"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/agent/daemon"
)

func TestTokenFlags(t *testing.T) {
	parse := func(args ...string) (*tokenFlags, error) {
		var f tokenFlags
		fs := flag.NewFlagSet("agent", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f.AddFlags(fs)
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		return &f, f.Validate()
	}
	f, err := parse("--unused-token-window=1h", "--api-addresses=10.232.5.1:6443, [::ffff:10.0.0.2]:443")
	if err != nil {
		t.Fatal(err)
	}
	var o daemon.Options
	f.apply(&o)
	if o.UnusedTokenWindow != time.Hour || len(o.APIAddrs) != 2 || o.APIAddrs[1].String() != "10.0.0.2:443" {
		t.Errorf("window %v addresses %v", o.UnusedTokenWindow, o.APIAddrs)
	}
	if f, err := parse(); err != nil || f.window != 0 {
		t.Errorf("default: %v %v, want off", f, err)
	}
	for _, bad := range [][]string{
		{"--unused-token-window=-1s"},
		{"--unused-token-window=1h", "--api-addresses=api.example:443"},
		{"--unused-token-window=1h", "--api-addresses=10.0.0.1"},
		{"--api-addresses=10.0.0.1:443"},
	} {
		if _, err := parse(bad...); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
