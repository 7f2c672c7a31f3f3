package intercept

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

const listCSVHeader = "target,value,list,prefix,reason,source,who,added,expires\n"

func TestReadListCSVRows(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC)
	long := strings.Repeat("x", maxListText+1)
	row := func(target, value string, list List, mod func(*Entry)) []ListRow {
		e := Entry{Value: value, List: list, Who: "importer"}
		if mod != nil {
			mod(&e)
		}
		return []ListRow{{Line: 2, Target: target, Entry: e}}
	}
	bad := func(field, reason string) []LineError {
		return []LineError{{Line: 2, Field: field, Reason: reason}}
	}
	tests := []struct {
		name string
		line string // one row after listCSVHeader
		rows []ListRow
		errs []LineError
	}{
		{"national number", "number,138 0000 0001,black,,scam calls,report,alice,2026-11-21T10:00:00+08:00,",
			row("number", "+8613800000001", ListBlack, func(e *Entry) {
				e.Reason, e.Source, e.Who, e.Added = "scam calls", "report", "alice", t0
			}), nil},
		{"international number", "number,0085512345678,gray,false,,,,,2027-01-01T00:00:00Z",
			row("number", "+85512345678", ListGray, func(e *Entry) {
				e.Expires = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
			}), nil},
		{"number range", "number,+86170,gray,true,virtual operator,desk,,,",
			row("number", "+86170", ListGray, func(e *Entry) { e.Prefix, e.Reason, e.Source = true, "virtual operator", "desk" }), nil},
		{"country code", "number,+855,black,1,,,,,",
			row("number", "+855", ListBlack, func(e *Entry) { e.Prefix = true }), nil},
		{"account", "account,6222 0200-0000 0001,white,0,payroll,bank,bob,,",
			row("account", "6222020000000001", ListWhite, func(e *Entry) { e.Reason, e.Source, e.Who = "payroll", "bank", "bob" }), nil},
		{"case and spaces", " Account , 6228480000000002 , BLACK , False , mule ,,,,",
			row("account", "6228480000000002", ListBlack, func(e *Entry) { e.Reason = " mule " }), nil},
		{"formula quote stripped", "account,6228480000000002,black,,'=SUM(A1),'+src,'@who,,",
			row("account", "6228480000000002", ListBlack, func(e *Entry) { e.Reason, e.Source, e.Who = "=SUM(A1)", "+src", "@who" }), nil},
		{"plain quote kept", "account,6228480000000002,black,,'quoted,',,,",
			row("account", "6228480000000002", ListBlack, func(e *Entry) { e.Reason, e.Source = "'quoted", "'" }), nil},
		{"chinese text", "number,+8613800000001,black,,冒充公检法,报案,,,",
			row("number", "+8613800000001", ListBlack, func(e *Entry) { e.Reason, e.Source = "冒充公检法", "报案" }), nil},

		{"bad target", "phone,+8613800000001,black,,,,,,", nil, bad("target", "want number or account")},
		{"missing target", ",+8613800000001,black,,,,,,", nil, bad("target", "required")},
		{"bad number", "number,12ab,black,,,,,,", nil, bad("value", "not a phone number")},
		{"short number", "number,+12,black,,,,,,", nil, bad("value", "too short")},
		{"bad account", "account,12345,black,,,,,,", nil, bad("value", "too short")},
		{"account not digits", "account,6222x0200000,black,,,,,,", nil, bad("value", "must be digits")},
		{"bad list", "number,+8613800000001,red,,,,,,", nil, bad("list", "want black, gray or white")},
		{"missing list", "number,+8613800000001,,,,,,,", nil, bad("list", "required")},
		{"prefix on account", "account,6222020000000001,black,true,,,,,", nil, bad("prefix", "only numbers have ranges")},
		{"range without plus", "number,86170,gray,true,,,,,", nil, bad("value", "a range is + and 1 to 15 digits, such as +86170")},
		{"range with space", "number,+86 170,gray,true,,,,,", nil, bad("value", "a range is + and 1 to 15 digits, such as +86170")},
		{"range leading zero", "number,+0170,gray,true,,,,,", nil, bad("value", "a range is + and 1 to 15 digits, such as +86170")},
		{"range too long", "number,+1234567890123456,gray,true,,,,,", nil, bad("value", "a range is + and 1 to 15 digits, such as +86170")},
		{"bad expires", "number,+8613800000001,black,,,,,,2026-13-01", nil, bad("expires", "want an RFC 3339 time such as 2026-12-31T16:00:00Z")},
		{"expires out of range", "number,+8613800000001,black,,,,,,1969-12-31T23:59:59Z", nil, bad("expires", "out of range (1970 to 2106)")},
		{"bad added", "number,+8613800000001,black,,,,,yesterday,", nil, bad("added", "want an RFC 3339 time such as 2026-12-31T16:00:00Z")},
		{"bad prefix flag", "number,+86170,gray,yes,,,,,", nil, bad("prefix", "want true or false")},
		{"missing value", "number,,black,,,,,,", nil, bad("value", "required")},
		{"blank value", "account,  ,black,,,,,,", nil, bad("value", "required")},
		{"reason not UTF-8", "number,+8613800000001,black,,\xff\xfe,,,,", nil, bad("reason", "not UTF-8 text (save the file as CSV UTF-8)")},
		{"source too long", "number,+8613800000001,black,,," + long + ",,,", nil, bad("source", "longer than 4000 bytes")},
		{"several fields", "phone,,red,maybe,,,,soon,", nil, []LineError{
			{2, "target", "want number or account"}, {2, "prefix", "want true or false"},
			{2, "value", "required"}, {2, "list", "want black, gray or white"},
			{2, "added", "want an RFC 3339 time such as 2026-12-31T16:00:00Z"},
		}},
		{"too few fields", "number,+8613800000001,black", nil, bad("", "3 fields, the header has 9")},
		{"too many fields", "number,+8613800000001,black,,,,,,,", nil, bad("", "10 fields, the header has 9")},
		{"bare quote", `number,+86138"01,black,,,,,,`, nil, bad("", `bare " in non-quoted-field`)},
		{"text after quote", `number,"+8613800000001"x,black,,,,,,`, nil, bad("", `extraneous or missing " in quoted-field`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, imp, err := importListCSV(t, listCSVHeader+tt.line+"\n")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.rows, rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.errs, imp.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			want := ListImport{Rows: 1, Kept: len(tt.rows), Bad: min(len(tt.errs), 1), Errors: tt.errs}
			if diff := cmp.Diff(want, imp); diff != "" {
				t.Errorf("import (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadListCSVLines(t *testing.T) {
	data := "target,value,list,reason\n" + // 1
		"number,+8613800000001,black,plain\n" + // 2
		"\n" + // 3
		"number,+8613800000002,black,\"two\n" + // 4
		"line reason\"\n" + // 5
		"account,123,black,short\n" + // 6: bad
		"\r\n" + // 7
		"\n" + // 8
		"number,+8613800000003,gray,\"a \"\"quoted\"\" word,\r\n" + // 9
		"\r\n" + // 10: inside the quotes
		"and more\"\r\n" + // 11
		"number,x,black,after blanks\n" + // 12: bad
		"phone,,black,\"multi\nline\nbad\"\n" + // 13: bad twice
		"account,6222020000000001,white,last" // 16, no final line break
	rows, imp, err := importListCSV(t, data)
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, r := range rows {
		lines = append(lines, r.Line)
	}
	if diff := cmp.Diff([]int{2, 4, 9, 16}, lines); diff != "" {
		t.Errorf("row lines (-want +got):\n%s", diff)
	}
	if got, want := rows[2].Entry.Reason, "a \"quoted\" word,\n\nand more"; got != want {
		t.Errorf("multi-line reason = %q, want %q", got, want)
	}
	want := ListImport{Rows: 7, Kept: 4, Bad: 3, Errors: []LineError{
		{6, "value", "too short"},
		{12, "value", "not a phone number"},
		{13, "target", "want number or account"},
		{13, "value", "required"},
	}}
	if diff := cmp.Diff(want, imp); diff != "" {
		t.Errorf("import (-want +got):\n%s", diff)
	}
}

func TestReadListCSVBOM(t *testing.T) {
	for _, header := range []string{"target,value,list", `"target","value","list"`, "Target, Value ,LIST"} {
		rows, imp, err := importListCSV(t, "\xEF\xBB\xBF"+header+"\r\nnumber,+8613800000001,black\r\n")
		want := []ListRow{{Line: 2, Target: "number", Entry: Entry{Value: "+8613800000001", List: ListBlack, Who: "importer"}}}
		if err != nil || imp.Kept != 1 || imp.Bad != 0 {
			t.Fatalf("header %q: %+v, %v", header, imp, err)
		}
		if diff := cmp.Diff(want, rows); diff != "" {
			t.Errorf("header %q: rows (-want +got):\n%s", header, diff)
		}
	}
}

func TestReadListCSVHeaderErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "no header row"},
		{"blank lines", "\n\r\n\n", "no header row"},
		{"only a BOM", "\xEF\xBB\xBF", "no header row"},
		{"no target", "value,list\n+8613800000001,black\n", `missing column "target"`},
		{"no value", "target,list\nnumber,black\n", `missing column "value"`},
		{"no list", "target,value\nnumber,+8613800000001\n", `missing column "list"`},
		{"unknown column", "target,value,list,comment\n", `unknown column "comment"`},
		{"repeated column", "target,value,list,Value\n", `column "value" appears twice`},
		{"unnamed column", "target,value,list,\n", "column 4 of the header has no name"},
		{"not CSV", "target,va\"lue,list\n", `header row is not CSV: bare "`},
		{"binary", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", `unknown column "\x89PNG"`},
		{"header too long", "target,value,list," + strings.Repeat("x", maxCSVRecord) + "\nnumber,+8613800000001,black,\n", "header row is longer than 1 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			imp, err := ReadListCSV(strings.NewReader(tt.data), "86", "importer", func([]ListRow) error {
				called = true
				return nil
			}, nil)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalid with %q", err, tt.want)
			}
			if called || imp.Rows != 0 {
				t.Errorf("keep called %v, import %+v; want nothing read", called, imp)
			}
		})
	}
}

// listCSVNumbers returns a list CSV of n good numbers.
func listCSVNumbers(n int) string {
	var b strings.Builder
	b.WriteString("target,value,list\n")
	for i := range n {
		fmt.Fprintf(&b, "number,+86138%08d,black\n", i)
	}
	return b.String()
}

func TestReadListCSVBatches(t *testing.T) {
	var sizes, progress []int
	var rows []ListRow
	imp, err := ReadListCSV(strings.NewReader(listCSVNumbers(2500)), "86", "importer", func(b []ListRow) error {
		sizes = append(sizes, len(b))
		rows = append(rows, b...)
		return nil
	}, func(p ListImport) { progress = append(progress, p.Kept) })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ListImport{Rows: 2500, Kept: 2500}, imp); diff != "" {
		t.Errorf("import (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1000, 1000, 500}, sizes); diff != "" {
		t.Errorf("batch sizes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1000, 2000, 2500}, progress); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
	for i, r := range rows {
		if want := fmt.Sprintf("+86138%08d", i); r.Line != i+2 || r.Entry.Value != want {
			t.Fatalf("row %d = line %d %s, want line %d %s", i, r.Line, r.Entry.Value, i+2, want)
		}
	}
}

func TestReadListCSVKeepError(t *testing.T) {
	errFull := errors.New("journal full")
	tests := []struct {
		name      string
		rows      int
		failCall  int // keep fails on this call, from 1
		want      ListImport
		wantLines string
		progress  int
	}{
		{"second batch", 2500, 2, ListImport{Rows: 2000, Kept: 1000}, "lines 1002 to 2001", 1},
		{"last partial batch", 500, 1, ListImport{Rows: 500}, "lines 2 to 501", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls, progress := 0, 0
			imp, err := ReadListCSV(strings.NewReader(listCSVNumbers(tt.rows)), "86", "importer", func([]ListRow) error {
				if calls++; calls == tt.failCall {
					return fmt.Errorf("append: %w", errFull)
				}
				return nil
			}, func(ListImport) { progress++ })
			if !errors.Is(err, errFull) || !strings.Contains(err.Error(), tt.wantLines) {
				t.Fatalf("err = %v, want %v about %s", err, errFull, tt.wantLines)
			}
			if diff := cmp.Diff(tt.want, imp); diff != "" {
				t.Errorf("import (-want +got):\n%s", diff)
			}
			if calls != tt.failCall || progress != tt.progress {
				t.Errorf("keep called %d times, progress %d; want %d, %d", calls, progress, tt.failCall, tt.progress)
			}
		})
	}
}

func TestReadListCSVTooLong(t *testing.T) {
	big := strings.Repeat("x", maxCSVRecord)
	// 20 lines, 1.25 MiB
	bigLines := strings.Repeat(strings.Repeat("y", 64<<10)+"\n", 20)
	data := "target,value,list,reason\n" + // 1
		"number,+8613800000001,black,ok\n" + // 2
		"number,+8613800000002,black," + big + "\n" + // 3
		"number,+8613800000003,black,ok\n" + // 4
		"number,+8613800000004,black,\"" + bigLines + "\"\n" + // 5 to 25
		"number,+8613800000005,black,ok\n" + // 26
		"number,+8613800000006,black,\"never closed\n" + // 27
		"number,+8613800000007,black,inside the quotes\n"
	rows, imp, err := importListCSV(t, data)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprint(r.Line, " ", r.Entry.Value))
	}
	if diff := cmp.Diff([]string{"2 +8613800000001", "4 +8613800000003", "26 +8613800000005"}, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	want := ListImport{Rows: 6, Kept: 3, Bad: 3, Errors: []LineError{
		{3, "", "record longer than 1 MiB"},
		{5, "", "record longer than 1 MiB"},
		{27, "", `extraneous or missing " in quoted-field`},
	}}
	if diff := cmp.Diff(want, imp); diff != "" {
		t.Errorf("import (-want +got):\n%s", diff)
	}
}

func TestReadListCSVUnclosedQuoteMemory(t *testing.T) {
	const size = 32 << 20
	inside := strings.Repeat("number,+8613800000001,black,inside an unclosed quote\n", size/52)
	r := strings.NewReader("target,value,list,reason\nnumber,+8613800000001,black,\"\n" + inside)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	imp, err := ReadListCSV(r, "86", "importer", nil, nil)
	runtime.ReadMemStats(&after)
	if err != nil || imp.Kept != 0 {
		t.Fatalf("kept %d rows, err %v; want none", imp.Kept, err)
	}
	if diff := cmp.Diff(ListImport{Rows: 1, Bad: 1, Errors: []LineError{{2, "", "record longer than 1 MiB"}}}, imp); diff != "" {
		t.Errorf("import (-want +got):\n%s", diff)
	}
	// csv.Reader alone would hold the whole 32 MiB field, and allocate it several times.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 12<<20 {
		t.Errorf("allocated %d MiB reading a %d MiB record", alloc>>20, size>>20)
	}
}

func TestReadListCSVErrorCap(t *testing.T) {
	data := listCSVHeader + strings.Repeat("number,x,black,,,,,,\n", 1200) + "number,+8613800000001,black,,,,,,\n"
	imp, err := ReadListCSV(strings.NewReader(data), "86", "importer", nil, nil) // nil keep: check only
	if err != nil {
		t.Fatal(err)
	}
	if imp.Rows != 1201 || imp.Kept != 1 || imp.Bad != 1200 || len(imp.Errors) != maxImportErrors {
		t.Fatalf("import: rows %d kept %d bad %d errors %d; want 1201, 1, 1200, 1000", imp.Rows, imp.Kept, imp.Bad, len(imp.Errors))
	}
	if last := imp.Errors[len(imp.Errors)-1]; last != (LineError{1001, "value", "not a phone number"}) {
		t.Errorf("last error %+v, want line 1001", last)
	}
}

func TestReadListCSVReadError(t *testing.T) {
	errDisk := errors.New("disk gone")
	r := io.MultiReader(strings.NewReader(listCSVNumbers(10)), iotest.ErrReader(errDisk))
	imp, err := ReadListCSV(r, "86", "importer", func([]ListRow) error {
		t.Error("keep called for a batch of a file that failed")
		return nil
	}, nil)
	if !errors.Is(err, errDisk) || errors.Is(err, ErrInvalid) || imp.Kept != 0 {
		t.Fatalf("ReadListCSV = %+v, %v; want %v, nothing kept", imp, err, errDisk)
	}
}

func TestListCSVRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC)
	l := NewLists()
	for _, e := range []Entry{
		{Value: "+8613800000001", List: ListBlack, Reason: "冒充公检法, \"urgent\"", Source: "report", Who: "alice", Added: t0, Expires: t0.Add(30 * 24 * time.Hour)},
		{Value: "+85512345678", List: ListGray, Reason: "line one\nline two", Source: "operator", Who: "bob", Added: t0},
		{Value: "+86110", List: ListWhite, Reason: "official", Source: "desk", Who: "admin"},
		{Value: "+86170", Prefix: true, List: ListGray, Reason: "virtual range", Source: "desk", Who: "alice", Added: t0},
		{Value: "+855", Prefix: true, List: ListBlack, Reason: "country", Source: "desk", Who: "alice", Added: t0, Expires: t0.Add(time.Hour)},
	} {
		if err := l.AddNumber(e); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range []Entry{
		{Value: "6228480000000002", List: ListBlack, Reason: "mule", Source: "bank", Who: "carol", Added: t0, Expires: t0.Add(48 * time.Hour)},
		{Value: "6222020000000001", List: ListWhite, Reason: "payroll", Source: "bank", Who: "carol", Added: t0},
	} {
		if err := l.AddAccount(e); err != nil {
			t.Fatal(err)
		}
	}
	want := listCSVEntries(l)
	got, out := roundTripListCSV(t, l, "", 7)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if head := "\xEF\xBB\xBFtarget,value,list,prefix,reason,source,who,added,expires\n"; !bytes.HasPrefix(out, []byte(head)) {
		t.Errorf("export starts %q, want %q", out[:min(len(out), 80)], head)
	}
	if !bytes.Contains(out, []byte("\nnumber,+855,black,true,country,desk,alice,2026-11-21T02:00:00Z,2026-11-21T03:00:00Z\n")) {
		t.Errorf("export lacks the +855 range in the expected form:\n%s", out)
	}
	// Accounts come after every number.
	if i, j := bytes.LastIndex(out, []byte("\nnumber,")), bytes.Index(out, []byte("\naccount,")); i > j {
		t.Errorf("a number follows an account:\n%s", out)
	}
	// The import goes into fresh lists the same.
	l2 := NewLists()
	for _, r := range got {
		add := l2.AddNumber
		if r.Target == "account" {
			add = l2.AddAccount
		}
		if err := add(r.Entry); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(want, listCSVEntries(l2)); diff != "" {
		t.Errorf("lists after round trip (-want +got):\n%s", diff)
	}

	numbers, _ := roundTripListCSV(t, l, "number", 5)
	accounts, _ := roundTripListCSV(t, l, "account", 2)
	both := append(numbers, accounts...)
	sortListRows(both)
	if diff := cmp.Diff(want, both); diff != "" {
		t.Errorf("numbers and accounts exported apart (-want +got):\n%s", diff)
	}
	if _, err := WriteListCSV(io.Discard, l, "phone"); !errors.Is(err, ErrInvalid) {
		t.Errorf("WriteListCSV(target phone) err = %v, want ErrInvalid", err)
	}
}

func TestListCSVWriteError(t *testing.T) {
	l := NewLists()
	for i := range 5000 {
		if err := l.AddNumber(Entry{Value: fmt.Sprintf("+86138%08d", i), List: ListBlack, Reason: "r"}); err != nil {
			t.Fatal(err)
		}
	}
	errFull, written := errors.New("disk full"), 0
	n, err := WriteListCSV(writerFunc(func(p []byte) (int, error) {
		if written += len(p); written > 4096 {
			return 0, errFull
		}
		return len(p), nil
	}), l, "")
	if !errors.Is(err, errFull) || n >= 5000 {
		t.Fatalf("WriteListCSV = %d, %v; want an early %v", n, err, errFull)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestListCSVInjection(t *testing.T) {
	texts := []string{
		`=HYPERLINK("http://example.invalid","click")`, "+1+1", "-2", "@SUM(A1)", "\tTAB", "\rCR",
		"'=already quoted", "''=twice", "'plain", "'", "plain", "", "a=b",
	}
	l := NewLists()
	for i, s := range texts {
		e := Entry{Value: fmt.Sprintf("62220200000000%02d", i), List: ListBlack, Reason: s, Source: s, Who: s + "who"}
		if err := l.AddAccount(e); err != nil {
			t.Fatal(err)
		}
	}
	want := listCSVEntries(l)
	for i := range want {
		if want[i].Entry.Who == "" {
			want[i].Entry.Who = "importer" // an empty who takes the importer's
		}
	}
	got, out := roundTripListCSV(t, l, "account", len(texts))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// What a spreadsheet sees: no cell of the export starts a formula.
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out, utf8BOM))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, rec := range recs[1:] {
		for _, cell := range rec[colReason : colWho+1] {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("exported cell %q starts a formula", cell)
			}
			seen[cell] = true
		}
	}
	for _, cell := range []string{`'=HYPERLINK("http://example.invalid","click")`, "'+1+1", "'-2", "'@SUM(A1)", "'\tTAB", "'\rCR", "''=already quoted", "'''=twice", "'plain", "'", "a=b"} {
		if !seen[cell] {
			t.Errorf("export lacks cell %q", cell)
		}
	}
}

func TestListCSVEscapeCell(t *testing.T) {
	tests := []struct{ stored, written string }{
		{"=1+1", "'=1+1"}, {"+86", "'+86"}, {"-", "'-"}, {"@x", "'@x"}, {"\tx", "'\tx"}, {"\rx", "'\rx"},
		{"'=x", "''=x"}, {"''@x", "'''@x"}, {"'x", "'x"}, {"'", "'"}, {"''", "''"}, {"", ""}, {"x=1", "x=1"},
	}
	for _, tt := range tests {
		if got := escapeCell(tt.stored); got != tt.written {
			t.Errorf("escapeCell(%q) = %q, want %q", tt.stored, got, tt.written)
		}
		if got := unescapeCell(tt.written); got != tt.stored {
			t.Errorf("unescapeCell(%q) = %q, want %q", tt.written, got, tt.stored)
		}
	}
	// A formula typed into an imported file stays as it is: only export escapes.
	if got := unescapeCell("=1+1"); got != "=1+1" {
		t.Errorf("unescapeCell(=1+1) = %q", got)
	}
}
