package report

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/rtaudit/rtaudit/agent/scan"
)

// JSON writes the report as indented JSON: the stable contract. Strings
// keep their values: invalid UTF-8 becomes U+FFFD (encoding/json's rule),
// and the characters a terminal acts on are written as \u escapes (see
// inertJSON), so the output is valid JSON that is also safe to print.
func JSON(w io.Writer, r *scan.Report) error {
	return writeJSON(w, r)
}

// writeJSON encodes v indented, terminal-safe, and writes it at once.
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(inertJSON(b.Bytes()))
	return err
}
