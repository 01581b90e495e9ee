package report

import (
	"bufio"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/rtaudit/rtaudit/agent/checks"
)

// grid aligns columns as text/tabwriter does (two spaces between columns,
// the last column unpadded), with two things tabwriter cannot do: a cell
// may be coloured without its escape codes counting toward the width, and
// free lines (a pod's header) may sit between rows without ending the
// alignment. Cell text must already be inert (see Inert): the grid writes
// it as it is.
type grid struct {
	lines  []gridLine
	widths []int
}

type gridLine struct {
	indent string
	cells  []col // nil for a free line
	free   string
}

// col is one column's text and the ANSI style it is shown in when colour
// is on ("" for none).
type col struct{ text, style string }

func plain(s string) col { return col{text: s} }

// row adds an aligned row.
func (g *grid) row(indent string, cells ...col) {
	for i, c := range cells {
		if i == len(cells)-1 {
			break // the last column is not padded, so its width does not count
		}
		if i >= len(g.widths) {
			g.widths = append(g.widths, 0)
		}
		n := utf8.RuneCountInString(c.text)
		if i == 0 {
			n += utf8.RuneCountInString(indent)
		}
		g.widths[i] = max(g.widths[i], n)
	}
	g.lines = append(g.lines, gridLine{indent: indent, cells: cells})
}

// text adds a line outside the columns.
func (g *grid) text(s string) { g.lines = append(g.lines, gridLine{free: s}) }

const gridPadding = 2

// write renders the grid; color turns the cells' styles on.
func (g *grid) write(w io.Writer, color bool) error {
	bw := bufio.NewWriter(w)
	for _, l := range g.lines {
		if l.cells == nil {
			bw.WriteString(l.free)
			bw.WriteByte('\n')
			continue
		}
		last := len(l.cells) - 1 // trailing empty cells are not padded out
		for last > 0 && l.cells[last].text == "" {
			last--
		}
		for i, c := range l.cells[:last+1] {
			text := c.text
			if i == 0 {
				text = l.indent + text
			}
			if color && c.style != "" && text != "" {
				bw.WriteString(c.style + text + ansiReset)
			} else {
				bw.WriteString(text)
			}
			if i < last {
				bw.WriteString(strings.Repeat(" ", g.widths[i]-utf8.RuneCountInString(text)+gridPadding))
			}
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// ANSI styles of the severities.
const ansiReset = "\x1b[0m"

var severityStyle = map[checks.Severity]string{
	checks.Critical: "\x1b[1;31m", // bold red
	checks.High:     "\x1b[31m",   // red
	checks.Medium:   "\x1b[33m",   // yellow
	checks.Low:      "\x1b[36m",   // cyan
	checks.Info:     "\x1b[2m",    // dim
}

// paint styles s by severity when color is on.
func paint(s string, sev checks.Severity, color bool) string {
	if st := severityStyle[sev]; color && st != "" {
		return st + s + ansiReset
	}
	return s
}
