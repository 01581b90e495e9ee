package cli

import (
	"io"
	"os"

	"golang.org/x/term"
)

// useColor decides whether human output is coloured: only on a terminal,
// and not with --no-color, NO_COLOR set to anything (https://no-color.org)
// or TERM=dumb. getenv is os.Getenv outside tests.
func useColor(out io.Writer, noColor bool, getenv func(string) string) bool {
	if noColor || getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	f, ok := out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
