package rules

import (
	"errors"
	"fmt"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/lanjie/lanjie/intercept"
)

// Limits on what a rule may be, so that a hostile or careless expression is refused
// at compile time: expr has no run-time timeout.
const (
	MaxSource   = 4096 // bytes of expression
	MaxNodes    = 400  // AST nodes
	MaxDepth    = 32   // nesting of the AST
	MaxString   = 256  // bytes of a string literal
	MaxArray    = 256  // elements of an array literal
	MaxRangeLen = 1000 // elements of a constant range a..b
)

// Builtins that have no place in a rule: unbounded work, or the wall clock instead of
// the event's time (which makes replays and backtests lie).
var disabled = []string{"repeat", "now", "toJSON", "fromJSON", "toBase64", "fromBase64", "date", "timezone"}

// CompileError is a rule that does not compile, with where (1-based line and column;
// 0 when the problem is the whole expression).
type CompileError struct {
	Rule    string `json:"rule"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

func (e *CompileError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("rule %s: %s", e.Rule, e.Message)
	}
	return fmt.Sprintf("rule %s: line %d, column %d: %s", e.Rule, e.Line, e.Column, e.Message)
}

// Unwrap makes errors.Is(err, intercept.ErrInvalid) hold.
func (e *CompileError) Unwrap() error { return intercept.ErrInvalid }

// Compiled is a checked, compiled rule, ready to run on any number of goroutines.
type Compiled struct {
	Rule
	prog  *vm.Program
	guard guardFunc // nil, or a Go test the rule cannot match without
	kinds [8]bool
}

// Compile checks r and compiles its expression against Env. Errors are
// *CompileError (expression) or wrap intercept.ErrInvalid (other fields).
func Compile(r Rule) (*Compiled, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	if len(r.Expr) > MaxSource {
		return nil, &CompileError{Rule: r.ID, Message: fmt.Sprintf("expression is %d bytes, the limit is %d", len(r.Expr), MaxSource)}
	}
	tree, err := parser.Parse(r.Expr)
	if err != nil {
		return nil, compileError(r.ID, err)
	}
	if err := guard(r.ID, r.Expr, tree.Node); err != nil {
		return nil, err
	}
	opts := []expr.Option{expr.Env(Env{}), expr.AsBool(), expr.MaxNodes(MaxNodes)}
	for _, b := range disabled {
		opts = append(opts, expr.DisableBuiltin(b))
	}
	prog, err := expr.Compile(r.Expr, opts...)
	if err != nil {
		return nil, compileError(r.ID, err)
	}
	c := &Compiled{Rule: r, prog: prog, guard: firstGuard(tree.Node)}
	for _, k := range r.Kinds {
		c.kinds[intercept.ParseKind(k)] = true
	}
	return c, nil
}

func compileError(id string, err error) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		return &CompileError{Rule: id, Line: fe.Line, Column: fe.Column + 1, Message: fe.Message}
	}
	return &CompileError{Rule: id, Message: err.Error()}
}

// guard walks the tree and refuses what would be slow or huge to run.
func guard(id, src string, root ast.Node) error {
	g := &guardian{id: id, src: file.NewSource(src)}
	g.walk(root, 1)
	return g.err
}

type guardian struct {
	id    string
	src   file.Source
	nodes int
	loops int // predicates (loop bodies) we are inside
	err   error
}

func (g *guardian) fail(n ast.Node, format string, args ...any) {
	if g.err != nil {
		return
	}
	fe := (&file.Error{Location: n.Location()}).Bind(g.src)
	g.err = &CompileError{Rule: g.id, Line: fe.Line, Column: fe.Column + 1, Message: fmt.Sprintf(format, args...)}
}

func (g *guardian) walk(n ast.Node, depth int) {
	if n == nil || g.err != nil {
		return
	}
	g.nodes++
	switch {
	case g.nodes > MaxNodes:
		g.fail(n, "expression has more than %d nodes", MaxNodes)
		return
	case depth > MaxDepth:
		g.fail(n, "expression is nested deeper than %d", MaxDepth)
		return
	}
	switch x := n.(type) {
	case *ast.StringNode:
		if len(x.Value) > MaxString {
			g.fail(n, "string literal of %d bytes, the limit is %d", len(x.Value), MaxString)
		}
	case *ast.ArrayNode:
		if len(x.Nodes) > MaxArray {
			g.fail(n, "array literal of %d elements, the limit is %d", len(x.Nodes), MaxArray)
		}
	case *ast.BinaryNode:
		if x.Operator == ".." {
			lo, okl := x.Left.(*ast.IntegerNode)
			hi, okh := x.Right.(*ast.IntegerNode)
			if !okl || !okh {
				g.fail(n, "ranges must have constant bounds")
			} else if hi.Value-lo.Value+1 > MaxRangeLen {
				g.fail(n, "range of %d elements, the limit is %d", hi.Value-lo.Value+1, MaxRangeLen)
			}
		}
	case *ast.PredicateNode:
		// A loop inside a loop multiplies: 1000 × 1000 × 1000 iterations is a minute
		// of one decision. Rules get one level of looping.
		if g.loops > 0 {
			g.fail(n, "loops inside loops are not allowed in rules")
			return
		}
		g.loops++
		defer func() { g.loops-- }()
	}
	for _, c := range children(n) {
		g.walk(c, depth+1)
	}
}
