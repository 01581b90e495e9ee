package declared

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// Position is where a pod was declared in a manifest file: the file as
// given on the command line (joined with the directory for a directory),
// the line its object starts at (1-based; the item's "- " line in a
// List) and, where the text shows them in block style, the lines of its
// containers' entries by name. A pod read from stdin has File "-".
type Position struct {
	File       string
	Line       int
	Containers []ContainerLine // in the order of the text
}

// ContainerLine is the line of a container's entry in its pod's manifest.
type ContainerLine struct {
	Name string
	Line int
}

// ContainerLine returns the line of container name's entry, or the pod's
// line when the text does not show it.
func (p Position) ContainerLine(name string) int {
	for _, c := range p.Containers {
		if c.Name == name {
			return c.Line
		}
	}
	return p.Line
}

// Position returns where the pod namespace/name was declared, when the
// index was loaded from manifests.
func (ix *Index) Position(namespace, name string) (Position, bool) {
	p, ok := ix.pos[key(namespace, name)]
	return p, ok
}

// located is a pod decoded from a document, with what locates it there.
type located struct {
	pod *corev1.Pod
	// raw is the JSON the pod was decoded from: a slice of the document
	// itself for JSON documents, which locates it there.
	raw []byte
	// item is the pod's index in its document's top-level list, -1 for a
	// document that is the pod.
	item int
	// off is the pod's offset in a YAML document when known (the item
	// splitter's), else -1.
	off int
}

// docReader splits a multi-document YAML stream at "---" lines, as
// k8s.io/apimachinery's YAMLReader does, and counts lines, so that every
// document knows the line it starts at.
type docReader struct {
	r    *bufio.Reader
	line int // lines consumed
	buf  bytes.Buffer
}

func newDocReader(r io.Reader) *docReader {
	return &docReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// reset makes d read r from its start, keeping its buffers.
func (d *docReader) reset(r io.Reader) {
	d.r.Reset(r)
	d.line = 0
	d.buf.Reset()
}

// next returns the next non-empty document and the line of its first
// line; io.EOF after the last. A line longer than the reader's buffer is
// copied into the document chunk by chunk (one-line JSON of any size).
func (d *docReader) next() ([]byte, int, error) {
	d.buf.Reset()
	start := d.line + 1
	midLine := false // the previous chunk did not end its line
	for {
		chunk, err := d.r.ReadSlice('\n')
		full := errors.Is(err, bufio.ErrBufferFull)
		if len(chunk) > 0 {
			if !midLine && !full && bytes.HasPrefix(chunk, []byte("---")) && separatorRest(chunk[3:]) {
				d.line++
				if d.buf.Len() > 0 {
					return d.buf.Bytes(), start, nil
				}
				start = d.line + 1
			} else {
				if d.buf.Len()+len(chunk) > MaxDocument+1 {
					return nil, start, fmt.Errorf("larger than %d MiB", MaxDocument>>20)
				}
				d.buf.Write(chunk)
				if !full {
					d.line++
				}
			}
		}
		midLine = full
		switch {
		case full:
		case errors.Is(err, io.EOF):
			if d.buf.Len() > 0 {
				return d.buf.Bytes(), start, nil
			}
			return nil, start, io.EOF
		case err != nil:
			return nil, start, err
		}
	}
}

// separatorRest says whether what follows "---" makes the line a document
// separator: nothing, spaces or a comment.
func separatorRest(rest []byte) bool {
	rest = bytes.TrimSpace(rest)
	return len(rest) == 0 || rest[0] == '#'
}

// firstContentLine is the offset of doc's first line that is neither blank
// nor a comment (0 when none).
func firstContentLine(doc []byte) int {
	for off := 0; off < len(doc); {
		end := bytes.IndexByte(doc[off:], '\n')
		if end < 0 {
			end = len(doc) - off
		}
		t := bytes.TrimSpace(doc[off : off+end])
		if len(t) > 0 && t[0] != '#' {
			return off
		}
		off += end + 1
	}
	return 0
}

// yamlItemOffsets are the offsets of the "- " lines in column 0 after a
// top-level "items:" line: the items of a List as kubectl writes it.
func yamlItemOffsets(doc []byte) []int {
	start := -1
	if bytes.HasPrefix(doc, []byte("items:")) {
		start = 0
	} else if i := bytes.Index(doc, []byte("\nitems:")); i >= 0 {
		start = i + 1
	}
	if start < 0 {
		return nil
	}
	var offs []int
	off := start
	for off < len(doc) {
		end := bytes.IndexByte(doc[off:], '\n')
		if end < 0 {
			end = len(doc) - off
		}
		l := doc[off : off+end]
		switch {
		case bytes.HasPrefix(l, []byte("- ")) || bytes.Equal(l, []byte("-")):
			offs = append(offs, off)
		case off > start && len(l) > 0 && l[0] != ' ' && l[0] != '#' && l[0] != '\r':
			return offs // the next top-level key
		}
		off += end + 1
	}
	return offs
}

// lineAt counts the lines of doc before off.
func lineAt(doc []byte, off int) int {
	return bytes.Count(doc[:off], []byte("\n"))
}

// containerLines finds, in a pod's YAML text, the line (relative to the
// text's first, 0-based) of each named container's entry: the "- " line
// of the sequence entry that holds "name: NAME", in a containers,
// initContainers or ephemeralContainers sequence. Flow-style entries
// ({name: x}) are not found.
func containerLines(text []byte, names []string) []ContainerLine {
	type line struct {
		indent int
		body   []byte // trimmed
	}
	var lines []line
	for off := 0; off < len(text); {
		end := bytes.IndexByte(text[off:], '\n')
		if end < 0 {
			end = len(text) - off
		}
		l := bytes.TrimRight(text[off:off+end], "\r")
		body := bytes.TrimLeft(l, " ")
		lines = append(lines, line{indent: len(l) - len(body), body: bytes.TrimSpace(body)})
		off += end + 1
	}
	var out []ContainerLine
	for i, l := range lines {
		body, indent := l.body, l.indent
		entry := -1
		if b, ok := bytes.CutPrefix(body, []byte("- ")); ok {
			body, indent, entry = bytes.TrimSpace(b), indent+2, i
		}
		v, ok := bytes.CutPrefix(body, []byte("name:"))
		if !ok {
			continue
		}
		k := slices.Index(names, scalar(v))
		if k < 0 || slices.ContainsFunc(out, func(c ContainerLine) bool { return c.Name == names[k] }) {
			continue
		}
		name := names[k]
		if entry < 0 { // the entry's "- " line above, two columns left
			for j := i - 1; j >= 0; j-- {
				lj := lines[j]
				if len(lj.body) == 0 || lj.body[0] == '#' || lj.indent > indent-2 {
					continue
				}
				if lj.indent == indent-2 && bytes.HasPrefix(lj.body, []byte("- ")) {
					entry = j
				}
				break
			}
		}
		if entry < 0 {
			continue
		}
		// The sequence's key: the nearest line above the entry, not an
		// entry itself, at the entry's indentation or less.
		e := lines[entry].indent
		for j := entry - 1; j >= 0; j-- {
			lj := lines[j]
			if len(lj.body) == 0 || lj.body[0] == '#' || lj.indent > e || bytes.HasPrefix(lj.body, []byte("- ")) && lj.indent == e {
				continue
			}
			switch string(bytes.TrimSpace(lj.body)) {
			case "containers:", "initContainers:", "ephemeralContainers:":
				out = append(out, ContainerLine{Name: name, Line: entry})
			}
			break
		}
	}
	return out
}

// scalar is a plain or quoted YAML scalar value, without a trailing
// comment.
func scalar(v []byte) string {
	v = bytes.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') {
		if j := bytes.IndexByte(v[1:], v[0]); j >= 0 {
			return string(v[1 : j+1])
		}
	}
	if i := bytes.Index(v, []byte(" #")); i >= 0 {
		v = v[:i]
	}
	return string(bytes.TrimSpace(v))
}
