package intercept

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of a list CSV import.
const (
	maxCSVRecord    = 1 << 20 // bytes of one record, line breaks (quoted ones too) included
	listCSVBatch    = 1000    // rows per keep call
	maxImportErrors = 1000    // LineErrors kept in ListImport.Errors
	maxListText     = 4000    // bytes of a reason, source or who
)

var listColumns = [...]string{"target", "value", "list", "prefix", "reason", "source", "who", "added", "expires"}

// Indexes into listColumns.
const (
	colTarget, colValue, colList, colPrefix, colReason    = 0, 1, 2, 3, 4
	colSource, colWho, colAdded, colExpires, nListColumns = 5, 6, 7, 8, 9
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ListRow is one good row of a list CSV: an entry for Lists.AddNumber (Target
// "number") or Lists.AddAccount (Target "account"), and the line the row starts on.
type ListRow struct {
	Line   int
	Target string
	Entry  Entry
}

// LineError is one bad field of a row of a list CSV. Line is where the row starts, as
// an editor numbers lines (the header is line 1). Field is the column, or empty when
// the row as a whole is bad (too long, broken quoting, wrong number of fields).
type LineError struct {
	Line   int    `json:"line"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// ListImport sums up a list CSV import. Rows counts the rows read after the header,
// Kept those handed to keep that it accepted, Bad those with at least one LineError.
// Errors holds the first 1000 LineErrors (a row may have several).
type ListImport struct {
	Rows   int         `json:"rows"`
	Kept   int         `json:"kept"`
	Bad    int         `json:"bad"`
	Errors []LineError `json:"errors,omitempty"`
}

func (imp *ListImport) bad(errs ...LineError) {
	imp.Bad++
	n := min(len(errs), maxImportErrors-len(imp.Errors))
	imp.Errors = append(imp.Errors, errs[:n]...)
}

// ReadListCSV reads list entries from UTF-8 CSV, streaming. The header names the
// columns in any order and case: target (number or account), value and list (black,
// gray or white) are required; prefix (true, false, 1, 0 or empty; a number range such
// as +86170 or a country code such as +855, as + and digits), reason, source, who, added
// and expires (RFC 3339 or empty) are optional. A UTF-8 byte order mark and blank
// lines are skipped. Numbers are normalised with NormalizePhone (defaultCountry, "86"
// when empty, for national ones), accounts with NormalizeAccount. Who defaults to the
// who argument; Added is zero when not given, for the caller to stamp. The single quote
// WriteListCSV puts before a would-be formula in reason, source or who is removed.
//
// A bad row gives one LineError per bad field and is skipped; the import goes on. A
// record may hold 1 MiB, a text field 4000 bytes of valid UTF-8. Good rows go to keep
// in order, in batches of up to 1000 (the slice is reused after keep returns); a nil
// keep only checks (Kept then counts good rows). progress, if not nil, is called after
// each batch kept. If keep fails, ReadListCSV stops and returns its error wrapped with
// the counts so far: earlier batches stay kept; the failed batch counts as not kept,
// whatever part of it keep did keep. A file that is no list CSV (no header, a missing,
// unknown or repeated column, a header that is not CSV) gives an error wrapping
// ErrInvalid before keep is called; a read error is returned wrapped.
func ReadListCSV(r io.Reader, defaultCountry string, who string, keep func([]ListRow) error, progress func(ListImport)) (ListImport, error) {
	var imp ListImport
	if defaultCountry == "" {
		defaultCountry = "86"
	}
	br := bufio.NewReader(r)
	if b, err := br.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	} else if err != nil && !errors.Is(err, io.EOF) {
		return imp, fmt.Errorf("read list CSV: %w", err)
	}
	lim := &recordLimiter{src: br, max: maxCSVRecord, line: 1, chunk: make([]byte, 32<<10)}
	cr := csv.NewReader(lim)
	cr.FieldsPerRecord = -1 // checked here, to report it per line
	cr.ReuseRecord = true

	header, err := cr.Read()
	line, pe, err := csvLine(cr, lim, err)
	switch {
	case err != nil && !errors.Is(err, io.EOF):
		return imp, fmt.Errorf("read list CSV: %w", err)
	case len(lim.tooLong) > 0 && lim.tooLong[0] < line:
		return imp, fmt.Errorf("list CSV: the header row is longer than 1 MiB: %w", ErrInvalid)
	case err != nil:
		return imp, fmt.Errorf("list CSV: no header row: %w", ErrInvalid)
	case pe != nil:
		return imp, fmt.Errorf("list CSV: header row is not CSV: %v: %w", pe.Err, ErrInvalid)
	}
	cols, err := listHeader(header)
	if err != nil {
		return imp, err
	}
	chk := rowChecker{cols: cols, country: defaultCountry, who: who}
	nfields := len(header)

	batch := make([]ListRow, 0, listCSVBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if keep != nil {
			if err := keep(batch); err != nil {
				return fmt.Errorf("keep list rows of lines %d to %d: %w", batch[0].Line, batch[len(batch)-1].Line, err)
			}
		}
		imp.Kept += len(batch)
		batch = batch[:0]
		if progress != nil {
			progress(imp)
		}
		return nil
	}
	for {
		rec, err := cr.Read()
		line, pe, err := csvLine(cr, lim, err)
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return imp, fmt.Errorf("read list CSV: %w", err)
		}
		lim.report(&imp, line)
		imp.Rows++
		switch {
		case pe != nil:
			imp.bad(LineError{Line: line, Reason: pe.Err.Error()})
		case len(rec) != nfields:
			imp.bad(LineError{Line: line, Reason: fmt.Sprintf("%d fields, the header has %d", len(rec), nfields)})
		default:
			row, errs := chk.row(rec, line)
			if len(errs) > 0 {
				imp.bad(errs...)
				continue
			}
			batch = append(batch, row)
			if len(batch) == listCSVBatch {
				if err := flush(); err != nil {
					return imp, err
				}
			}
		}
	}
	lim.report(&imp, lim.line+1)
	err = flush()
	return imp, err
}

// csvLine sorts out the error of cr.Read: a bad record's *csv.ParseError or another
// (io.EOF: the end), and says where the record starts (past the last line at the end).
func csvLine(cr *csv.Reader, lim *recordLimiter, err error) (line int, pe *csv.ParseError, _ error) {
	switch {
	case errors.As(err, &pe):
		return pe.StartLine, pe, nil
	case err != nil:
		return lim.line + 1, nil, err
	}
	line, _ = cr.FieldPos(0) // csv.Reader returns no empty record
	return line, nil, nil
}

// listHeader maps the columns of a header row to their index + 1, 0 if absent.
func listHeader(header []string) ([nListColumns]int, error) {
	var cols [nListColumns]int
	for i, name := range header {
		n := strings.ToLower(strings.TrimSpace(name))
		c := slices.Index(listColumns[:], n)
		switch {
		case n == "":
			return cols, fmt.Errorf("list CSV: column %d of the header has no name: %w", i+1, ErrInvalid)
		case c < 0:
			if len(name) > 64 {
				name = name[:64] + "..."
			}
			return cols, fmt.Errorf("list CSV: unknown column %q (want %s): %w", name, strings.Join(listColumns[:], ", "), ErrInvalid)
		case cols[c] > 0:
			return cols, fmt.Errorf("list CSV: column %q appears twice: %w", n, ErrInvalid)
		}
		cols[c] = i + 1
	}
	for _, c := range []int{colTarget, colValue, colList} {
		if cols[c] == 0 {
			return cols, fmt.Errorf("list CSV: missing column %q (required: target, value, list): %w", listColumns[c], ErrInvalid)
		}
	}
	return cols, nil
}

// rowChecker turns a record into a ListRow or the LineErrors that say why not.
type rowChecker struct {
	cols    [nListColumns]int
	country string
	who     string
}

func (c *rowChecker) row(rec []string, line int) (ListRow, []LineError) {
	var errs []LineError
	bad := func(col int, reason string) {
		errs = append(errs, LineError{Line: line, Field: listColumns[col], Reason: reason})
	}
	get := func(col int) string {
		if i := c.cols[col]; i > 0 {
			return rec[i-1]
		}
		return ""
	}
	word := func(col int) string { return strings.ToLower(strings.TrimSpace(get(col))) }

	row := ListRow{Line: line, Target: word(colTarget)}
	e := &row.Entry
	if row.Target == "" {
		bad(colTarget, "required")
	} else if row.Target != "number" && row.Target != "account" {
		bad(colTarget, "want number or account")
	}
	prefixOK := true
	switch word(colPrefix) {
	case "", "false", "0":
	case "true", "1":
		e.Prefix = true
		if row.Target == "account" {
			bad(colPrefix, "only numbers have ranges")
		}
	default:
		prefixOK = false
		bad(colPrefix, "want true or false")
	}
	var err error
	switch v := strings.TrimSpace(get(colValue)); {
	case v == "":
		bad(colValue, "required")
	case row.Target == "account":
		if e.Value, err = NormalizeAccount(v); err != nil {
			bad(colValue, reasonOf(err))
		}
	case row.Target != "number" || !prefixOK: // unknown kind of value
	case e.Prefix:
		if !isRange(v) {
			bad(colValue, "a range is + and 1 to 15 digits, such as +86170")
		}
		e.Value = v
	default:
		if e.Value, err = NormalizePhone(v, c.country); err != nil {
			bad(colValue, reasonOf(err))
		}
	}
	if l := word(colList); l == "" {
		bad(colList, "required")
	} else if e.List, err = ParseList(l); err != nil {
		bad(colList, "want black, gray or white")
	}
	text := func(col int) string {
		s := get(col)
		switch {
		case !utf8.ValidString(s):
			bad(col, "not UTF-8 text (save the file as CSV UTF-8)")
		case len(s) > maxListText:
			bad(col, fmt.Sprintf("longer than %d bytes", maxListText))
		}
		return unescapeCell(s)
	}
	e.Reason, e.Source, e.Who = text(colReason), text(colSource), text(colWho)
	if e.Who == "" {
		e.Who = c.who
	}
	stamp := func(col int) time.Time {
		s := strings.TrimSpace(get(col))
		if s == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339, s)
		switch {
		case err != nil:
			bad(col, "want an RFC 3339 time such as 2026-12-31T16:00:00Z")
		case t.Unix() <= 0 || t.Unix() > 1<<32-1:
			bad(col, "out of range (1970 to 2106)")
		}
		return t.UTC()
	}
	e.Added, e.Expires = stamp(colAdded), stamp(colExpires)
	return row, errs
}

// isRange reports whether s is a number range: "+" and 1 to 15 digits, no leading 0.
func isRange(s string) bool {
	return len(s) >= 2 && len(s) <= 1+maxPhoneDigits && s[0] == '+' && s[1] != '0' && allDigits(s[1:])
}

// needsEscape reports whether a spreadsheet would take s, past any leading single
// quotes, for a formula: = + - @, tab or carriage return (OWASP's list). Skipping the
// quotes makes escaping reversible: "'=x" gets one quote more, "'x" none.
func needsEscape(s string) bool {
	s = strings.TrimLeft(s, "'")
	return s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0
}

// escapeCell prefixes a single quote to a cell a spreadsheet would run as a formula.
func escapeCell(s string) string {
	if needsEscape(s) {
		return "'" + s
	}
	return s
}

// unescapeCell undoes escapeCell.
func unescapeCell(s string) string {
	if s != "" && s[0] == '\'' && needsEscape(s) {
		return s[1:]
	}
	return s
}

// WriteListCSV writes the entries of l as CSV to w and returns how many it wrote, for
// target "number" (numbers and ranges), "account", or "" (both, numbers first), in no
// order, expired ones too. The header is target,value,list,prefix,reason,source,who,
// added,expires; times are RFC 3339 UTC. A UTF-8 byte order mark comes first (Excel
// garbles Chinese text without). Against formula injection, a reason, source or who
// starting with = + - @, tab or CR gets a single quote before it. ReadListCSV reads the
// output back to the same entries (an empty who aside; a CRLF in text reads as LF).
func WriteListCSV(w io.Writer, l *Lists, target string) (int, error) {
	if target != "" && target != "number" && target != "account" {
		return 0, fmt.Errorf("export lists: target %q: want number, account or empty: %w", target, ErrInvalid)
	}
	if _, err := w.Write(utf8BOM); err != nil {
		return 0, fmt.Errorf("export lists: %w", err)
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(listColumns[:]) // a write error sticks, to cw.Error
	n, rec := 0, make([]string, 0, nListColumns)
	parts := []struct {
		target string
		seq    iter.Seq[Entry]
	}{{"number", l.Numbers()}, {"account", l.Accounts()}}
	for _, p := range parts {
		if target != "" && target != p.target {
			continue
		}
		for e := range p.seq {
			rec = append(rec[:0], p.target, e.Value, e.List.String(), strconv.FormatBool(e.Prefix),
				escapeCell(e.Reason), escapeCell(e.Source), escapeCell(e.Who),
				formatListTime(e.Added), formatListTime(e.Expires))
			if err := cw.Write(rec); err != nil {
				return n, fmt.Errorf("export lists: %w", err)
			}
			n++
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, fmt.Errorf("export lists: %w", err)
	}
	return n, nil
}

func formatListTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// recordLimiter passes CSV on record by record, but a record over max bytes only by its
// line breaks: blank lines, which csv.Reader skips but counts, so its line numbers stay
// right. Records end where csv.Reader (without LazyQuotes) ends them, so memory stays
// bounded even when an unclosed quote runs on to the end of the file.
type recordLimiter struct {
	src       io.Reader
	max       int
	buf       []byte // records ready buf[off:done], then the one being read
	off, done int
	chunk     []byte
	state     uint8
	line      int   // line of the next byte, from 1
	start     int   // line the current record started on; 0 between records
	dropping  bool  // the current record is over max
	tooLong   []int // start lines of dropped records not yet reported, oldest first
	err       error
}

// States of the record scanner, after those of csv.Reader.readRecord.
const (
	csvFieldStart  = iota
	csvUnquoted    // in a field that does not start with a quote
	csvQuoted      // in a quoted field
	csvQuoteQuoted // after a quote in a quoted field: "" or the field's end
	csvBroken      // after a quoting error, which ends the record with the line
)

func (l *recordLimiter) Read(p []byte) (int, error) {
	for l.off == l.done {
		if l.err != nil {
			return 0, l.err
		}
		n := copy(l.buf, l.buf[l.done:])
		l.buf, l.off, l.done = l.buf[:n], 0, 0
		n, err := l.src.Read(l.chunk)
		l.scan(l.chunk[:n])
		if err != nil {
			l.end() // of the last record, if any
			l.err = err
		}
	}
	n := copy(p, l.buf[l.off:l.done])
	l.off += n
	return n, nil
}

// scan splits b into records, continuing the one in progress.
func (l *recordLimiter) scan(b []byte) {
	from := 0
	for i, c := range b {
		if l.start == 0 {
			l.start = l.line
		}
		end := false
		switch st := l.state; {
		case c == '\n':
			l.line++
			end = st != csvQuoted
		case st == csvQuoted:
			if c == '"' {
				l.state = csvQuoteQuoted
			}
		case st == csvBroken:
		case c == ',':
			l.state = csvFieldStart
		case c == '"' && st == csvUnquoted, c != '"' && st == csvQuoteQuoted:
			// A bare quote, or text after a closing one ('\r' too: it ends at '\n').
			l.state = csvBroken
		case c == '"':
			l.state = csvQuoted // a field's opening quote or the second of ""
		default:
			l.state = csvUnquoted
		}
		if end {
			l.add(b[from : i+1])
			from = i + 1
			l.end()
		}
	}
	l.add(b[from:])
}

// add appends part of the current record or, once it is too long, its line breaks.
func (l *recordLimiter) add(b []byte) {
	if !l.dropping && len(l.buf)-l.done+len(b) <= l.max {
		l.buf = append(l.buf, b...)
		return
	}
	n := bytes.Count(b, []byte{'\n'})
	if !l.dropping {
		l.dropping = true
		l.tooLong = append(l.tooLong, l.start)
		n += bytes.Count(l.buf[l.done:], []byte{'\n'})
		l.buf = l.buf[:l.done]
	}
	l.buf = append(l.buf, bytes.Repeat([]byte{'\n'}, n)...)
	l.done = len(l.buf)
}

// end completes the current record.
func (l *recordLimiter) end() {
	l.done = len(l.buf)
	l.state, l.start, l.dropping = csvFieldStart, 0, false
}

// report adds a LineError for each dropped record that started before line.
func (l *recordLimiter) report(imp *ListImport, line int) {
	for len(l.tooLong) > 0 && l.tooLong[0] < line {
		imp.Rows++
		imp.bad(LineError{Line: l.tooLong[0], Reason: "record longer than 1 MiB"})
		l.tooLong = l.tooLong[1:]
	}
}
