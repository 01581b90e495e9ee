package cli

import "fmt"

type errIncomplete int

func (n errIncomplete) Error() string {
	return fmt.Sprintf("%d container(s) could not be audited (see the report): the audit is incomplete", int(n))
}

func short(id string) string {
	if len(id) > 13 {
		return id[:13]
	}
	return id
}
