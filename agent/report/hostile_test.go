package report

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
)

func TestInert(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain-name_0.9", "plain-name_0.9"},
		{"runAsUser → 1000, ünïcode 日本", "runAsUser → 1000, ünïcode 日本"},
		{"a\nb\rc\td", `a\nb\rc\td`},
		{"\x1b[2J\x1b]0;pwned\x07", `\x1b[2J\x1b]0;pwned\x07`},
		{"\x00\x7f", `\x00\x7f`},
		{"\u009b31m", `\u009b31m`},         // 8-bit CSI
		{"\u0085next", `\u0085next`},       // NEL
		{"abc\u202edcba", `abc\u202edcba`}, // right-to-left override
		{"kube\u200bsystem", `kube\u200bsystem`},
		{"\u2028\u2029", `\u2028\u2029`},
		{"tag\U000E0041", `tag\U000e0041`},
		{"bad\xff\xfeutf8", `bad\xff\xfeutf8`},
		{"trunc\xe2\x82", `trunc\xe2\x82`},
		{`back\slash`, `back\\slash`},
		{"\ufffd", "\ufffd"}, // a real replacement character is printable
	} {
		if got := Inert(tc.in); got != tc.want {
			t.Errorf("Inert(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// hostile is what a container controls, with every kind of control
// character and broken encoding in it.
const hostile = "evil\x1b[31mRED\x1b[0m\nFAKE LINE\r\tx\u009b2J\u202eabc\xff\x7f\\"

// hostileReport puts hostile strings everywhere a container can reach.
func hostileReport() *scan.Report {
	r := &scan.Report{
		APIVersion: scan.APIVersion, Kind: scan.KindReport, Node: "node\x1b]0;title\x07",
		Runtime: scan.RuntimeInfo{Name: "containerd", Version: "1.6.20\n"},
		Containers: []scan.ContainerSummary{{ID: "aaaa", Namespace: "ns" + hostile, Pod: "pod" + hostile, Container: "c" + hostile,
			Image: "img" + hostile, State: "running", DeclaredFrom: "manifest", Problems: []string{"unknown capabilities: CAP_" + hostile}}},
		Findings: []checks.Finding{
			{Check: checks.RunAsUser, Severity: checks.Critical, Layer: checks.LayerProcess, Namespace: "ns" + hostile, Pod: "pod" + hostile,
				Container: "c" + hostile, ContainerID: "aaaa", PID: 101, Field: "Uid", Expected: "1000", Actual: "0",
				Message: "process 101 (" + hostile + ") runs as root"},
			{Check: checks.HostMounts, Severity: checks.Critical, Layer: checks.LayerProcess, Namespace: "ns" + hostile, Pod: "pod" + hostile,
				Container: "c" + hostile, ContainerID: "aaaa", PID: 101, Field: "mountinfo", Expected: "none", Actual: "/mnt/" + hostile,
				Message: "mount /mnt/" + hostile, Waiver: "w" + hostile},
		},
		Errors: []scan.ContainerError{{ContainerRef: scan.ContainerRef{ID: "id\x1b[2J", Namespace: hostile, Pod: hostile, Container: hostile}, Error: "read " + hostile}},
		Notes:  []string{"note " + hostile},
	}
	return r
}

// sgr matches the colour codes the table itself writes.
var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// assertTerminalSafe fails when out holds a control character other than
// the newlines ending lines, DEL, a C1 control, a format character or
// invalid UTF-8; with color, the table's own SGR codes are allowed.
func assertTerminalSafe(t *testing.T, name string, out []byte, color bool) {
	t.Helper()
	if color {
		out = sgr.ReplaceAll(out, nil)
	}
	if !utf8.Valid(out) {
		t.Errorf("%s: output is not valid UTF-8:\n%q", name, out)
	}
	for i, r := range string(out) {
		if (r < 0x20 && r != '\n') || r == 0x7f || active(r) {
			t.Errorf("%s: raw %U at byte %d:\n%q", name, r, i, out)
			return
		}
	}
}

func TestTableHostileStringsAreInert(t *testing.T) {
	for _, tc := range []struct {
		name  string
		o     TableOptions
		lines int // the rows, problems, errors, notes and summary only
	}{
		{"table", TableOptions{}, 1 + 1 + 1 + 1 + 1 + 1},
		{"wide", TableOptions{Wide: true, ShowWaived: true}, 1 + 2 + 1 + 1 + 1 + 1},
		{"grouped", TableOptions{Wide: true, ShowWaived: true, GroupAbove: 1}, 1 + 1 + 2 + 1 + 1 + 1 + 1},
		{"color", TableOptions{Wide: true, ShowWaived: true, GroupAbove: 1, Color: true}, 1 + 1 + 2 + 1 + 1 + 1 + 1},
	} {
		var b bytes.Buffer
		if err := Table(&b, hostileReport(), tc.o); err != nil {
			t.Fatal(err)
		}
		assertTerminalSafe(t, tc.name, b.Bytes(), tc.o.Color)
		if n := strings.Count(b.String(), "\n"); n != tc.lines {
			t.Errorf("%s: %d lines, want %d: a hostile newline split a line?\n%s", tc.name, n, tc.lines, b.String())
		}
		if !strings.Contains(b.String(), `evil\x1b[31mRED\x1b[0m\nFAKE LINE\r\tx\u009b2J\u202eabc\xff\x7f\\`) {
			t.Errorf("%s: the hostile string is not shown escaped:\n%s", tc.name, b.String())
		}
		if tc.name == "wide" {
			golden(t, "table-hostile.golden", b.Bytes())
		}
	}
}

func TestJSONHostileStringsStayValid(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, hostileReport()); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b.Bytes()) {
		t.Fatalf("invalid JSON:\n%s", b.String())
	}
	assertTerminalSafe(t, "json", b.Bytes(), false)
	var got scan.Report
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	// Invalid UTF-8 comes back as U+FFFD; everything else as it was.
	want := strings.ToValidUTF8(hostile, "\ufffd")
	if got.Findings[0].Message != "process 101 ("+want+") runs as root" {
		t.Errorf("message = %q, want the hostile comm with U+FFFD for the invalid byte", got.Findings[0].Message)
	}
	if got.Containers[0].Pod != "pod"+want || got.Errors[0].Error != "read "+want || got.Notes[0] != "note "+want {
		t.Errorf("strings did not survive: %+v", got)
	}
	// The invalid byte is U+FFFD, escaped or not (Go 1.27's encoder writes
	// the character itself): inert either way, and checked above.
	for _, esc := range []string{`\u001b[31m`, `\n`, `\u009b`, `\u202e`, `\u007f`} {
		if !strings.Contains(b.String(), esc) {
			t.Errorf("JSON lacks the escape %s:\n%s", esc, b.String())
		}
	}
}
