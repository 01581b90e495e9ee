package report

import (
	"encoding/json"
	"io"

	"github.com/rtaudit/rtaudit/agent/scan"
)

// JSON writes the report as indented JSON: the stable contract.
func JSON(w io.Writer, r *scan.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
