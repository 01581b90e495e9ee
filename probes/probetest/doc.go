// Package probetest captures the part of a proc tree that probes reads
// (for a chosen set of processes) into a directory that can be committed,
// and materialises such a directory back into a proc root that probes.NewFS
// reads like the real one: a whole scan then runs on a captured host
// without root.
//
// A captured directory holds:
//
//	proc/<pid>/{stat,status,cgroup,mountinfo,uid_map,gid_map,attr/current}
//	proc/sys/kernel/cap_last_cap
//	ns.txt         "<pid> <kind> <link target>" per line, for the ns/* links
//	hostpaths.txt  "<d|f> <path>" per line: the given host paths that exist
//	               under PID 1's root
//
// Links are kept as text because git stores symlinks poorly; Materialise
// recreates them, gives each process a root directory (shared by the
// processes whose mountinfo is identical, as a mount view is on a host) and
// recreates the recorded host paths, as empty files and directories, under
// PID 1's root.
//
// Like probes, it knows nothing of Kubernetes or container runtimes.
package probetest
