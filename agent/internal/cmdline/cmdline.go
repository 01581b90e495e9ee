// Package cmdline holds what the rtaudit and kubectl-rtaudit command
// lines share: flags interspersed with arguments, and one-line usage errors.
package cmdline

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// UsageError marks an error the user made in the command line.
type UsageError struct{ error }

func (e UsageError) Unwrap() error { return e.error }

// Usagef is a UsageError with a formatted message.
func Usagef(format string, a ...any) error { return UsageError{fmt.Errorf(format, a...)} }

// Parse parses flags before and after positional arguments, as kubectl
// does (package flag stops at the first argument), and returns the
// arguments. It prints nothing: -h gives flag.ErrHelp, which the caller
// answers with PrintUsage, and any other error is a one-line UsageError.
func Parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, UsageError{err}
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// PrintUsage writes a command's usage line and its flags to w.
func PrintUsage(w io.Writer, usage string, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s\n", usage)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}
