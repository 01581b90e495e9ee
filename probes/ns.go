package probes

import (
	"errors"
	"strconv"
	"strings"
)

// nsKinds lists every namespace kind a Process records, in a fixed order.
var nsKinds = [...]NSKind{NSCgroup, NSIPC, NSMnt, NSNet, NSPID, NSTime, NSUser, NSUTS}

// NSKinds returns every namespace kind a Process records, in a fixed order.
func NSKinds() []NSKind { return append([]NSKind(nil), nsKinds[:]...) }

func isNSKind(name string) bool {
	switch NSKind(name) {
	case NSCgroup, NSIPC, NSMnt, NSNet, NSPID, NSTime, NSUser, NSUTS:
		return true
	}
	return false
}

// Same reports whether n and o are in the same namespace of kind k. It is
// false when either side lacks k (not read, or not in this kernel).
func (n Namespaces) Same(o Namespaces, k NSKind) bool {
	a, ok1 := n[k]
	b, ok2 := o[k]
	return ok1 && ok2 && a == b
}

// IsHost reports whether p shares namespace kind k with the host reference
// (see FS.HostNamespaces).
func (p *Process) IsHost(host Namespaces, k NSKind) bool {
	return p.Namespaces.Same(host, k)
}

// parseNSLink parses the target of a /proc/<pid>/ns/<kind> link,
// "net:[4026531840]", into its kind and inode.
//
// Written by hand for ContainerPIDs, which reads only ns/pid of every
// process, and for Namespaces and Probe, which read the eight kinds a
// Process records: procfs.Proc.Namespaces lists the directory and reads all
// ten links of a process.
func parseNSLink(target string) (kind string, inode uint64, err error) {
	kind, rest, ok := strings.Cut(target, ":")
	if !ok || kind == "" || len(rest) < 3 || rest[0] != '[' || rest[len(rest)-1] != ']' {
		return "", 0, errors.New("namespace link " + strconv.Quote(target) + " is not kind:[inode]")
	}
	inode, err = strconv.ParseUint(rest[1:len(rest)-1], 10, 64)
	if err != nil {
		return "", 0, errors.New("namespace link " + strconv.Quote(target) + ": bad inode")
	}
	return kind, inode, nil
}
