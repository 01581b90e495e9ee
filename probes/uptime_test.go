package probes

import (
	"testing"
	"time"
)

func TestParseUptime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"12345.67 24680.12\n", 12345*time.Second + 670*time.Millisecond, true},
		{"0.00 0.00", 0, true},
		{"", 0, false},
		{"abc 1", 0, false},
		{"-1 1", 0, false},
		{"1e308 0", 0, false},
		{"NaN 0", 0, false},
	} {
		got, err := parseUptime([]byte(tc.in))
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("parseUptime(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	p := &Process{StartTime: 250}
	if p.Started() != 2500*time.Millisecond {
		t.Errorf("Started() = %v", p.Started())
	}
}
