// Package completion writes shell completion scripts (bash, zsh, fish) for
// a command line of subcommands and flags, as rtaudit and kubectl-rtaudit
// describe theirs. Completion is static: subcommands, their flags and the
// values a flag accepts; no call to a cluster or a runtime.
package completion

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Shells are the shells a script can be written for.
var Shells = []string{"bash", "zsh", "fish"}

// Command is one subcommand: its name, summary and flags (without dashes),
// with the values some flags accept.
type Command struct {
	Name, Summary string
	Flags         []string
	Values        map[string][]string // flag → accepted values
}

// FlagsOf lists the flags of fs, sorted.
func FlagsOf(fs *flag.FlagSet) []string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	slices.Sort(names)
	return names
}

// Write writes the completion script of program prog for shell.
func Write(w io.Writer, shell, prog string, cmds []Command) error {
	switch shell {
	case "bash":
		return bash(w, prog, cmds)
	case "zsh":
		return zsh(w, prog, cmds)
	case "fish":
		return fish(w, prog, cmds)
	}
	return fmt.Errorf("shell %q: want %s", shell, strings.Join(Shells, ", "))
}

// ident turns a program name into a shell function name.
func ident(prog string) string {
	return "_" + strings.NewReplacer("-", "_", ".", "_").Replace(prog)
}

func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

func names(cmds []Command) string {
	var n []string
	for _, c := range cmds {
		n = append(n, c.Name)
	}
	return strings.Join(n, " ")
}

func bash(w io.Writer, prog string, cmds []Command) error {
	fn := ident(prog)
	var b strings.Builder
	fmt.Fprintf(&b, "# bash completion for %s: source it, or put it in /etc/bash_completion.d/\n", prog)
	fmt.Fprintf(&b, "%s() {\n", fn)
	b.WriteString("    local cur prev cmd i\n")
	b.WriteString("    cur=\"${COMP_WORDS[COMP_CWORD]}\"\n    prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n    cmd=\"\"\n")
	b.WriteString("    for ((i = 1; i < COMP_CWORD; i++)); do\n        case \"${COMP_WORDS[i]}\" in -*) ;; *) cmd=\"${COMP_WORDS[i]}\"; break ;; esac\n    done\n")
	fmt.Fprintf(&b, "    if [[ -z \"$cmd\" ]]; then\n        COMPREPLY=($(compgen -W %q -- \"$cur\"))\n        return\n    fi\n", names(cmds))
	b.WriteString("    case \"$cmd\" in\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "    %s)\n", c.Name)
		if len(c.Values) > 0 {
			b.WriteString("        case \"$prev\" in\n")
			for _, f := range sortedKeys(c.Values) {
				fmt.Fprintf(&b, "        %s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", dashed(f), strings.Join(c.Values[f], " "))
			}
			b.WriteString("        esac\n")
		}
		var fl []string
		for _, f := range c.Flags {
			fl = append(fl, dashed(f))
		}
		fmt.Fprintf(&b, "        COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", strings.Join(fl, " "))
	}
	b.WriteString("    esac\n}\n")
	fmt.Fprintf(&b, "complete -o default -F %s %s\n", fn, prog)
	_, err := io.WriteString(w, b.String())
	return err
}

func zsh(w io.Writer, prog string, cmds []Command) error {
	fn := ident(prog)
	var b strings.Builder
	fmt.Fprintf(&b, "#compdef %s\n# zsh completion for %s: put it in a directory of $fpath as %s, or source it\n", prog, prog, fn)
	fmt.Fprintf(&b, "%s() {\n    local -a cmds\n    cmds=(\n", fn)
	for _, c := range cmds {
		fmt.Fprintf(&b, "        %s\n", zquote(c.Name+":"+c.Summary))
	}
	b.WriteString("    )\n    if (( CURRENT == 2 )); then\n        _describe 'command' cmds\n        return\n    fi\n")
	b.WriteString("    case \"${words[2]}\" in\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "    %s)\n        _arguments", c.Name)
		for _, f := range c.Flags {
			spec := dashed(f) + "[]"
			if v, ok := c.Values[f]; ok {
				spec += ":" + f + ":(" + strings.Join(v, " ") + ")"
			}
			fmt.Fprintf(&b, " %s", zquote(spec))
		}
		b.WriteString(" '*:argument:_default' ;;\n")
	}
	b.WriteString("    esac\n}\n")
	fmt.Fprintf(&b, "if [[ \"${funcstack[1]}\" == %s ]]; then\n    %s \"$@\"\nelse\n    compdef %s %s\nfi\n", fn, fn, fn, prog)
	_, err := io.WriteString(w, b.String())
	return err
}

func fish(w io.Writer, prog string, cmds []Command) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# fish completion for %s: put it in ~/.config/fish/completions/%s.fish\n", prog, prog)
	fmt.Fprintf(&b, "complete -c %s -f\n", prog)
	all := names(cmds)
	for _, c := range cmds {
		fmt.Fprintf(&b, "complete -c %s -n %s -a %s -d %s\n", prog, fquote("not __fish_seen_subcommand_from "+all), c.Name, fquote(c.Summary))
		for _, f := range c.Flags {
			opt := "-l " + f
			if len(f) == 1 {
				opt = "-s " + f
			}
			line := fmt.Sprintf("complete -c %s -n %s %s", prog, fquote("__fish_seen_subcommand_from "+c.Name), opt)
			if v, ok := c.Values[f]; ok {
				line += " -x -a " + fquote(strings.Join(v, " "))
			}
			b.WriteString(line + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func zquote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
func fquote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

func sortedKeys(m map[string][]string) []string {
	var k []string
	for f := range m {
		k = append(k, f)
	}
	slices.Sort(k)
	return k
}
