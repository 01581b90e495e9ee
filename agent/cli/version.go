package cli

import (
	"context"
	"fmt"
	"runtime/debug"
)

// Version is set at build time with -ldflags -X.
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "devel"
}

func runVersion(_ context.Context, args []string, s Streams) (int, error) {
	if len(args) > 0 {
		return ExitError, usagef("unexpected argument %q", args[0])
	}
	fmt.Fprintln(s.Out, "rtaudit", version())
	return ExitClean, nil
}
