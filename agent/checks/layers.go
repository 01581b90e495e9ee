package checks

import (
	"fmt"

	"github.com/rtaudit/rtaudit/probes"
)

// opt is a value that may be unknown at a layer.
type opt[T any] struct {
	v  T
	ok bool
}

func some[T any](v T) opt[T] { return opt[T]{v, true} }

// field says how to judge one value down the layers.
type field[T any] struct {
	check                         ID
	criField, ociField, procField string
	what                          string // in messages: "user", "seccomp mode"
	equal                         func(want, got T) bool
	show                          func(T) string
	// severity grades a difference; return Info for a drift toward
	// less privilege.
	severity func(want, got T) Severity
	// follow, when set, says which layer values an unknown expectation
	// adopts; nil adopts any. A value that is only asserted when true
	// (no_new_privs, a read-only root) follows only true.
	follow func(T) bool
	// note, when set, adds to a value shown in a process finding's
	// message what the host sees of it (the host IDs behind IDs of a
	// user namespace).
	note func(p *probes.Process, v T) string
}

// config walks declared → CRI → OCI. An unknown expectation follows the
// first layer that knows the value. It returns the value every process
// must show and, when a configuration layer already departs, the one
// finding at that layer (then done is true: the processes inherit the
// drift and are not judged again for it).
func (fd field[T]) config(s *Subject, declared, cri, oci opt[T]) (want opt[T], fs []Finding, done bool) {
	want = declared
	for _, l := range []struct {
		layer Layer
		name  string
		v     opt[T]
	}{{LayerCRI, fd.criField, cri}, {LayerOCI, fd.ociField, oci}} {
		switch {
		case !l.v.ok:
		case !want.ok:
			if fd.follow == nil || fd.follow(l.v.v) {
				want = l.v
			}
		case !fd.equal(want.v, l.v.v):
			return want, []Finding{fd.diff(s, l.layer, nil, l.name, want.v, l.v.v)}, true
		}
	}
	return want, nil, false
}

// processes judges every process against want; get extracts a process's
// value (ok false: not collected, skip).
func (fd field[T]) processes(s *Subject, want opt[T], get func(*probes.Process) opt[T]) []Finding {
	if !want.ok {
		return nil
	}
	var fs []Finding
	for _, p := range s.Processes {
		if p == nil {
			continue
		}
		if got := get(p); got.ok && !fd.equal(want.v, got.v) {
			fs = append(fs, fd.diff(s, LayerProcess, p, fd.procField, want.v, got.v))
		}
	}
	return fs
}

// run is config then processes: the whole judgement of a simple field.
func (fd field[T]) run(s *Subject, declared, cri, oci opt[T], get func(*probes.Process) opt[T]) []Finding {
	want, fs, done := fd.config(s, declared, cri, oci)
	if done {
		return fs
	}
	return fd.processes(s, want, get)
}

func (fd field[T]) diff(s *Subject, layer Layer, p *probes.Process, name string, want, got T) Finding {
	sev := fd.severity(want, got)
	var gotNote, wantNote string
	if p != nil && fd.note != nil {
		gotNote, wantNote = fd.note(p, got), fd.note(p, want)
	}
	msg := fmt.Sprintf("%s has %s %s%s where %s expects %s%s", where(layer, p), fd.what, fd.show(got), gotNote, s.source(), fd.show(want), wantNote)
	if sev == Info {
		msg += " (less privilege than expected)"
	}
	pid := 0
	if p != nil {
		pid = p.PID
	}
	return s.finding(fd.check, sev, layer, pid, name, fd.show(want), fd.show(got), msg)
}

// eq is equality for comparable values.
func eq[T comparable](a, b T) bool { return a == b }

// ifTrue is a declared boolean that is only asserted when true
// (no_new_privs, a read-only root): false means "not asserted".
func ifTrue(b bool) opt[bool] { return opt[bool]{b, b} }

// isTrue is the follow rule of such booleans.
func isTrue(b bool) bool { return b }
