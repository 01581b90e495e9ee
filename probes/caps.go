package probes

import (
	"math/bits"
	"strconv"
	"strings"

	"github.com/moby/sys/capability"
)

// capNames holds the canonical name of every bit: "CAP_NET_ADMIN" for the
// capabilities github.com/moby/sys/capability knows, "CAP_<n>" (e.g.
// "CAP_41") for the others, so a bit set by a newer kernel is never dropped
// from a report.
var capNames = buildCapNames()

// capByName maps every canonical name of capNames back to its bit.
var capByName = buildCapByName()

func buildCapNames() [64]string {
	var names [64]string
	for i := range names {
		names[i] = "CAP_" + strconv.Itoa(i)
	}
	for _, c := range capability.ListKnown() {
		if c >= 0 && int(c) < len(names) {
			names[c] = "CAP_" + strings.ToUpper(c.String())
		}
	}
	return names
}

func buildCapByName() map[string]int {
	m := make(map[string]int, len(capNames))
	for i, n := range capNames {
		m[n] = i
	}
	return m
}

// CapName returns the canonical name of capability bit n ("CAP_NET_ADMIN",
// or "CAP_<n>" for a bit no name is known for), or "" when n is outside 0-63.
func CapName(n int) string {
	if n < 0 || n >= len(capNames) {
		return ""
	}
	return capNames[n]
}

// NormalizeCapName turns a capability name as it appears in a pod spec or a
// runtime config ("NET_ADMIN", "net_admin", "CAP_NET_ADMIN", " cap_net_admin")
// into its canonical form "CAP_NET_ADMIN". It is the one place names are
// normalised; it does not check the name exists.
func NormalizeCapName(name string) string {
	n := strings.ToUpper(strings.TrimSpace(name))
	if !strings.HasPrefix(n, "CAP_") {
		n = "CAP_" + n
	}
	return n
}

// ParseCapNames turns capability names (any case, with or without the CAP_
// prefix, numeric "CAP_<n>" allowed) into a set. Names it does not know are
// returned in unknown, normalised, in input order. "ALL" is not a capability:
// callers expand it with FS.AllCaps, which depends on the running kernel.
func ParseCapNames(names []string) (set CapSet, unknown []string) {
	for _, name := range names {
		n := NormalizeCapName(name)
		if bit, ok := capByName[n]; ok {
			set |= 1 << bit
			continue
		}
		unknown = append(unknown, n)
	}
	return set, unknown
}

// CapSetUpTo returns the set of capabilities 0..last, i.e. "ALL" on a kernel
// whose cap_last_cap is last.
func CapSetUpTo(last int) CapSet {
	switch {
	case last < 0:
		return 0
	case last >= 63:
		return ^CapSet(0)
	}
	return CapSet(1)<<(last+1) - 1
}

// Has reports whether capability bit is in the set.
func (c CapSet) Has(bit int) bool {
	return bit >= 0 && bit < 64 && c&(1<<bit) != 0
}

// Count returns the number of capabilities in the set.
func (c CapSet) Count() int { return bits.OnesCount64(uint64(c)) }

// Names returns the canonical names of the set, in bit order (see CapName for
// the form of unknown bits). An empty set gives nil.
func (c CapSet) Names() []string {
	if c == 0 {
		return nil
	}
	names := make([]string, 0, c.Count())
	for v := uint64(c); v != 0; v &= v - 1 {
		names = append(names, capNames[bits.TrailingZeros64(v)])
	}
	return names
}

// String returns the names joined by ",", or "none" for an empty set.
func (c CapSet) String() string {
	if c == 0 {
		return "none"
	}
	return strings.Join(c.Names(), ",")
}
