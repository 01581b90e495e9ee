package scan

import (
	"strings"
	"testing"
)

// The runtimes' state files and their shims' and conmon's arguments are
// written by whoever can write the runtime root or start a process: no
// input may panic, and a parsed entry always has an ID and a positive PID.

func FuzzParseRuncState(f *testing.F) {
	f.Add([]byte(`{"id":"abc","init_process_pid":42,"init_process_start":1234,"created":"2026-12-03T10:00:00Z","config":{"labels":["bundle=/run/b"]}}`))
	f.Add([]byte(`{"id":"","init_process_pid":-1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if e, ok := parseRuncState("/run/runc", data); ok && (e.owner.ID == "" || e.pid <= 0) {
			t.Fatalf("entry %+v from %q", e, data)
		}
	})
}

func FuzzParseCrunStatus(f *testing.F) {
	f.Add([]byte(`{"pid":42,"process-start-time":1234,"bundle":"/b","created":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if e, ok := parseCrunStatus("/run/crun", "id", data); ok && e.pid <= 0 {
			t.Fatalf("entry %+v from %q", e, data)
		}
	})
}

func FuzzParseRuntimeArgs(f *testing.F) {
	f.Add("containerd-shim-runc-v2\x00-namespace\x00k8s.io\x00-id\x00abc\x00-address\x00/run/containerd/containerd.sock")
	f.Add("/usr/bin/conmon\x00-c\x00abc\x00-b\x00/b\x00-r\x00/usr/bin/crun\x00--runtime-arg\x00--root=/run/crun")
	f.Add("conmon\x00--runtime-arg")
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		if o, ok := parseShim(args); ok && o.ID == "" {
			t.Fatalf("shim %+v from %q", o, args)
		}
		if o, ok := parseConmon(args); ok && o.ID == "" {
			t.Fatalf("conmon %+v from %q", o, args)
		}
	})
}
