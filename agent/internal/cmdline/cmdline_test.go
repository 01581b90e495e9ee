package cmdline

import (
	"errors"
	"flag"
	"slices"
	"strings"
	"testing"
)

func TestParseInterspersed(t *testing.T) {
	cases := []struct {
		args  []string
		rest  []string
		v     bool
		usage bool
		help  bool
	}{
		{args: []string{"a", "-v", "b"}, rest: []string{"a", "b"}, v: true},
		{args: []string{"-v"}, v: true},
		{args: []string{"a", "--", "-v"}, rest: []string{"a", "-v"}},
		{args: []string{"a", "-nope"}, usage: true},
		{args: []string{"-h", "a"}, help: true},
	}
	for _, tc := range cases {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		v := fs.Bool("v", false, "verbose")
		rest, err := Parse(fs, tc.args)
		var ue UsageError
		switch {
		case tc.help != errors.Is(err, flag.ErrHelp):
			t.Errorf("%q: err %v, want help %v", tc.args, err, tc.help)
		case tc.usage != errors.As(err, &ue):
			t.Errorf("%q: err %v, want usage error %v", tc.args, err, tc.usage)
		case err == nil && (!slices.Equal(rest, tc.rest) || *v != tc.v):
			t.Errorf("%q: rest %q v %v, want %q %v", tc.args, rest, *v, tc.rest, tc.v)
		}
	}
}

func TestPrintUsage(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.Bool("verbose", false, "say more")
	var b strings.Builder
	PrintUsage(&b, "prog x [flags] ARG", fs)
	if got := b.String(); !strings.HasPrefix(got, "Usage: prog x [flags] ARG\n") || !strings.Contains(got, "say more") {
		t.Errorf("usage:\n%s", got)
	}
}
