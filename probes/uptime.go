package probes

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// ClockTick is the unit of Process.StartTime: USER_HZ, 100 on every Linux
// architecture rtaudit runs on (sysconf(_SC_CLK_TCK)).
const ClockTick = 10 * time.Millisecond

// Uptime reads the time since boot from <root>/uptime (proc(5): seconds,
// two decimals), the clock Process.StartTime counts in.
func (fs FS) Uptime() (time.Duration, error) {
	b, err := os.ReadFile(fs.root + "/uptime")
	if err != nil {
		return 0, fmt.Errorf("probes: uptime: %w", err)
	}
	return parseUptime(b)
}

// maxUptime bounds what parseUptime accepts (a century, in seconds): far
// above any real uptime, far below time.Duration's range.
const maxUptime = 100 * 365 * 24 * 3600

func parseUptime(b []byte) (time.Duration, error) {
	f := bytes.Fields(b)
	if len(f) == 0 {
		return 0, fmt.Errorf("probes: uptime: empty")
	}
	s, err := strconv.ParseFloat(string(f[0]), 64)
	if err != nil || !(s >= 0 && s < maxUptime) { // NaN and overflow too
		return 0, fmt.Errorf("probes: uptime: %q is not a number of seconds", f[0])
	}
	return time.Duration(s * float64(time.Second)), nil
}

// Started is when p started, as time since boot.
func (p *Process) Started() time.Duration { return time.Duration(p.StartTime) * ClockTick }
