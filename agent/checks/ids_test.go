package checks

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"testing"
)

// TestEveryIDRegistered: every ID constant names a registered check and
// every registered check has a constant; the suppression table names only
// registered checks (a renamed check must not silently turn a
// suppression off).
func TestEveryIDRegistered(t *testing.T) {
	consts := idConstants(t)
	for name, id := range consts {
		if _, ok := Get(id); !ok {
			t.Errorf("%s = %q is not registered", name, id)
		}
	}
	seen := map[ID]bool{}
	for _, id := range consts {
		seen[id] = true
	}
	for _, c := range All() {
		if !seen[c.ID] {
			t.Errorf("check %q has no ID constant in ids.go", c.ID)
		}
	}
	for by, derived := range suppresses {
		for _, id := range append([]ID{by}, derived...) {
			if _, ok := Get(id); !ok {
				t.Errorf("suppression table names unregistered check %q", id)
			}
		}
	}
}

// TestNoIDLiterals: no non-test file of the package names a check by a
// string literal (as a Check/check/ID field, or the first argument of
// finding): it would compile, as an untyped constant, and escape the test
// above. Field names that happen to equal an ID ("privileged") are fine.
func TestNoIDLiterals(t *testing.T) {
	ids := map[string]bool{}
	for _, id := range idConstants(t) {
		ids[string(id)] = true
	}
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, f := range files {
		if f == "ids.go" || filepath.Ext(f) != ".go" || len(f) > 8 && f[len(f)-8:] == "_test.go" {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			var e ast.Expr
			switch n := n.(type) {
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && (k.Name == "Check" || k.Name == "check" || k.Name == "ID") {
					e = n.Value
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "finding" && len(n.Args) > 0 {
					e = n.Args[0]
				}
			}
			if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				t.Errorf("%s: check %q named by a string literal; use its ID constant (registered: %v)", fset.Position(lit.Pos()), s, ids[s])
			}
			return true
		})
	}
}

// idConstants reads the ID constants declared in ids.go.
func idConstants(t *testing.T) map[string]ID {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "ids.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]ID{}
	for _, d := range file.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					t.Fatalf("ids.go: %s is not a string literal", name.Name)
				}
				s, _ := strconv.Unquote(lit.Value)
				out[name.Name] = ID(s)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("ids.go declares no ID")
	}
	return out
}
