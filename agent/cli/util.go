package cli

import "fmt"

type errIncomplete int

func (n errIncomplete) Error() string {
	return fmt.Sprintf("%d container(s) could not be audited (see the report): the audit is incomplete", int(n))
}
