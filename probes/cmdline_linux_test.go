//go:build linux

package probes

import (
	"os"
	"testing"
)

func TestExeAndCmdlineSelf(t *testing.T) {
	fs, err := NewFS("")
	if err != nil {
		t.Fatal(err)
	}
	exe, err := fs.Exe(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.Executable()
	if exe != want {
		t.Errorf("exe %q, want %q", exe, want)
	}
	args, err := fs.Cmdline(os.Getpid())
	if err != nil || len(args) != len(os.Args) || args[0] != os.Args[0] {
		t.Errorf("cmdline %q (%v), want %q", args, err, os.Args)
	}
}
