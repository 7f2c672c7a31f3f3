package intercept

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// The seed corpus is in testdata/fuzz/FuzzReadListCSV; add what the fuzzer finds there.

var (
	listCSVNumber  = regexp.MustCompile(`^\+[1-9][0-9]{2,14}$`)
	listCSVRange   = regexp.MustCompile(`^\+[1-9][0-9]{0,14}$`)
	listCSVAccount = regexp.MustCompile(`^[0-9]{6,32}$`)
)

func FuzzReadListCSV(f *testing.F) {
	f.Add([]byte(listCSVHeader + "number,+8613800000001,black,,r,s,w,,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte("\n")) + 1
		var rows []ListRow
		imp, err := ReadListCSV(bytes.NewReader(data), "86", "fuzzer", func(b []ListRow) error {
			if len(b) == 0 || len(b) > listCSVBatch {
				t.Fatalf("batch of %d rows", len(b))
			}
			rows = append(rows, b...)
			return nil
		}, nil)
		if err != nil {
			if !errors.Is(err, ErrInvalid) || imp.Rows != 0 || rows != nil {
				t.Fatalf("file error %v after %+v, %d rows", err, imp, len(rows))
			}
			return
		}
		if imp.Kept != len(rows) || imp.Kept+imp.Bad != imp.Rows || len(imp.Errors) > maxImportErrors ||
			(imp.Bad > 0) != (len(imp.Errors) > 0) {
			t.Fatalf("import %+v with %d rows kept", imp, len(rows))
		}
		for _, le := range imp.Errors {
			if le.Line < 2 || le.Line > lines || le.Reason == "" ||
				(le.Field != "" && !slices.Contains(listColumns[:], le.Field)) {
				t.Fatalf("bad LineError %+v (%d lines)", le, lines)
			}
		}
		l := NewLists()
		prev := 1
		for _, r := range rows {
			checkListRow(t, r)
			if r.Line <= prev || r.Line > lines {
				t.Fatalf("row at line %d after line %d, of %d lines", r.Line, prev, lines)
			}
			prev = r.Line
			add := l.AddNumber
			if r.Target == "account" {
				add = l.AddAccount
			}
			if err := add(r.Entry); err != nil && !errors.Is(err, ErrConflict) {
				t.Fatalf("add %+v: %v", r, err)
			}
		}
		// What was kept exports and reads back the same.
		nn, np, na := l.Len()
		want := listCSVEntries(l)
		if got, _ := roundTripListCSV(t, l, "", nn+np+na); !cmp.Equal(want, got) {
			t.Fatalf("export round trip (-want +got):\n%s", cmp.Diff(want, got))
		}
		for _, limit := range []int{8, 64} {
			checkRecordLimiter(t, data, limit)
		}
	})
}

// Helpers shared with listcsv_test.go.

// importListCSV reads data with ReadListCSV ("86", who "importer") and returns the
// rows kept, copied out of the batches.
func importListCSV(t *testing.T, data string) ([]ListRow, ListImport, error) {
	t.Helper()
	var rows []ListRow
	imp, err := ReadListCSV(strings.NewReader(data), "86", "importer", func(b []ListRow) error {
		rows = append(rows, b...)
		return nil
	}, nil)
	return rows, imp, err
}

// roundTripListCSV exports l, checks the count, imports the file again and returns
// the rows read, sorted and without line numbers.
func roundTripListCSV(t *testing.T, l *Lists, target string, wantN int) ([]ListRow, []byte) {
	t.Helper()
	var buf bytes.Buffer
	n, err := WriteListCSV(&buf, l, target)
	if err != nil || n != wantN {
		t.Fatalf("WriteListCSV(%q) = %d, %v; want %d", target, n, err, wantN)
	}
	out := bytes.Clone(buf.Bytes())
	rows, imp, err := importListCSV(t, buf.String())
	if err != nil || imp.Bad != 0 || imp.Kept != n {
		t.Fatalf("import of export: %+v, %v\n%s", imp, err, out)
	}
	for i := range rows {
		rows[i].Line = 0
	}
	sortListRows(rows)
	return rows, out
}

// listCSVEntries returns the entries of l as rows (Line 0), sorted.
func listCSVEntries(l *Lists) []ListRow {
	var rows []ListRow
	for e := range l.Numbers() {
		rows = append(rows, ListRow{Target: "number", Entry: e})
	}
	for e := range l.Accounts() {
		rows = append(rows, ListRow{Target: "account", Entry: e})
	}
	sortListRows(rows)
	return rows
}

func sortListRows(rows []ListRow) {
	slices.SortFunc(rows, func(a, b ListRow) int {
		return strings.Compare(fmt.Sprint(a.Target, a.Entry.Value, a.Entry.Prefix), fmt.Sprint(b.Target, b.Entry.Value, b.Entry.Prefix))
	})
}

// checkListRow checks that a kept row is one the lists take.
func checkListRow(t *testing.T, r ListRow) {
	t.Helper()
	e := r.Entry
	var ok bool
	switch {
	case r.Target == "account":
		ok = listCSVAccount.MatchString(e.Value) && !e.Prefix
	case r.Target == "number" && e.Prefix:
		ok = listCSVRange.MatchString(e.Value)
	case r.Target == "number":
		ok = listCSVNumber.MatchString(e.Value)
	}
	for _, s := range []string{e.Reason, e.Source, e.Who} {
		ok = ok && utf8.ValidString(s) && len(s) <= maxListText
	}
	if !ok || e.List < ListGray || e.List > ListWhite || e.Who == "" {
		t.Fatalf("kept row %+v", r)
	}
}

// checkRecordLimiter checks that csv.Reader reads through a recordLimiter the records
// it reads from data, less those over limit bytes, which the limiter reports instead.
func checkRecordLimiter(t *testing.T, data []byte, limit int) {
	t.Helper()
	var want, tooLong []string
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	for start := int64(0); ; start = cr.InputOffset() {
		rec, line, err := readRecordForTest(cr)
		if errors.Is(err, io.EOF) {
			break
		}
		raw := data[start:cr.InputOffset()]
		for len(raw) > 0 && (raw[0] == '\n' || bytes.HasPrefix(raw, []byte("\r\n"))) {
			raw = raw[bytes.IndexByte(raw, '\n')+1:] // blank lines skipped before the record
		}
		if len(raw) > limit {
			tooLong = append(tooLong, fmt.Sprint(line))
		} else {
			want = append(want, fmt.Sprintf("%d %q %v", line, rec, err))
		}
	}
	lim := &recordLimiter{src: bytes.NewReader(data), max: limit, line: 1, chunk: make([]byte, 7)}
	cr = csv.NewReader(lim)
	cr.FieldsPerRecord = -1
	var got []string
	for {
		rec, line, err := readRecordForTest(cr)
		if errors.Is(err, io.EOF) {
			break
		}
		got = append(got, fmt.Sprintf("%d %q %v", line, rec, err))
	}
	var gotLong []string
	for _, line := range lim.tooLong {
		gotLong = append(gotLong, fmt.Sprint(line))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("records through the limiter, limit %d (-want +got):\n%s", limit, diff)
	}
	if diff := cmp.Diff(tooLong, gotLong); diff != "" {
		t.Fatalf("records over %d bytes (-want +got):\n%s", limit, diff)
	}
}

// readRecordForTest reads one record and the line it starts on.
func readRecordForTest(cr *csv.Reader) ([]string, int, error) {
	rec, err := cr.Read()
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe):
		return rec, pe.StartLine, pe.Err
	case err != nil:
		return nil, 0, err
	}
	line, _ := cr.FieldPos(0)
	return rec, line, nil
}
