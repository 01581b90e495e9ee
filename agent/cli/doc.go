// Package cli holds rtaudit's commands. Each command is an options struct
// with AddFlags, Validate and Run; I/O streams are injected and only main
// calls os.Exit. Business logic lives in agent/scan, not here.
package cli
