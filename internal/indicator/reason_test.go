package indicator

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestReasonsDocumented fails when a Reason constant is missing from the
// package documentation's list of reason codes, or two share a code.
func TestReasonsDocumented(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "reason.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Values) != 1 {
			return true
		}
		var lit *ast.BasicLit
		switch v := vs.Values[0].(type) {
		case *ast.BasicLit:
			lit = v
		case *ast.CallExpr: // Reason("…")
			if len(v.Args) == 1 {
				lit, _ = v.Args[0].(*ast.BasicLit)
			}
		}
		if lit == nil || lit.Kind != token.STRING {
			return true
		}
		code, _ := strconv.Unquote(lit.Value)
		name := vs.Names[0].Name
		if prev, dup := seen[code]; dup {
			t.Errorf("%s and %s share the code %q", prev, name, code)
		}
		seen[code] = name
		if !strings.Contains(string(doc), "//\t"+code+" ") {
			t.Errorf("%s (%q) is not in the reason codes of doc.go", name, code)
		}
		return true
	})
	if len(seen) < 40 {
		t.Fatalf("found only %d reason codes in reason.go: the test is not reading it right", len(seen))
	}
}
