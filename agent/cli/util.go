package cli

import (
	"fmt"
	"os"
)

func hostname() string {
	if n := os.Getenv("NODE_NAME"); n != "" {
		return n
	}
	n, _ := os.Hostname()
	return n
}

type errIncomplete int

func (n errIncomplete) Error() string {
	return fmt.Sprintf("%d container(s) could not be audited (see the report): the audit is incomplete", int(n))
}
