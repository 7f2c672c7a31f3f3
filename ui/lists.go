package ui

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lanjie/lanjie/intercept"
)

func (s *Server) listRoutes() {
	s.handle(fiber.MethodGet, "/lists/export", readers, s.exportLists)
	s.handle(fiber.MethodPost, "/lists/import", analysts, s.importLists)
	s.handle(fiber.MethodGet, "/lists/imports/:id", analysts, s.importJob)
	s.handle(fiber.MethodGet, "/lists/:target", readers, s.searchList)
	s.handle(fiber.MethodPost, "/lists/:target", listWriters, s.addListEntry)
	s.handle(fiber.MethodGet, "/lists/:target/:value", readers, s.lookupList)
	s.handle(fiber.MethodDelete, "/lists/:target/:value", listWriters, s.removeListEntry)
}

// listEntry is a list entry as the API shows it.
type listEntry struct {
	Target  string    `json:"target"` // number or account
	Value   string    `json:"value"`
	List    string    `json:"list"` // black, gray, white
	Prefix  bool      `json:"prefix,omitempty"`
	Reason  string    `json:"reason"`
	Source  string    `json:"source"`
	Who     string    `json:"who,omitempty"`
	Added   time.Time `json:"added,omitzero"`
	Expires time.Time `json:"expires,omitzero"`
}

func entryOut(target string, e intercept.Entry) listEntry {
	return listEntry{Target: target, Value: e.Value, List: e.List.String(), Prefix: e.Prefix, Reason: e.Reason,
		Source: e.Source, Who: e.Who, Added: e.Added, Expires: e.Expires}
}

func target(c *fiber.Ctx) (string, error) {
	t := c.Params("target")
	if t != "number" && t != "account" {
		return "", fiber.NewError(fiber.StatusNotFound, fmt.Sprintf("no list of %q: want number or account", t))
	}
	return t, nil
}

// normalValue puts a number or account in the form lists keep.
func (s *Server) normalValue(target, v string, prefix bool) (string, error) {
	var err error
	switch {
	case target == "account":
		v, err = intercept.NormalizeAccount(v)
	case !prefix:
		v, err = intercept.NormalizePhone(v, s.desk.Decoder().DefaultCountry)
	}
	if err != nil {
		return "", &intercept.ValidationError{What: "list entry", Fields: []intercept.FieldError{{Field: "value", Reason: err.Error()}}}
	}
	return v, nil
}

func (s *Server) addListEntry(c *fiber.Ctx) error {
	t, err := target(c)
	if err != nil {
		return err
	}
	var req listEntry
	if err := bind(c, &req); err != nil {
		return err
	}
	l, err := intercept.ParseList(req.List)
	if err != nil {
		return &intercept.ValidationError{What: "list entry", Fields: []intercept.FieldError{{Field: "list", Reason: "want black, gray or white"}}}
	}
	if strings.TrimSpace(req.Reason) == "" {
		return &intercept.ValidationError{What: "list entry", Fields: []intercept.FieldError{{Field: "reason", Reason: "required: why it is listed"}}}
	}
	v, err := s.normalValue(t, req.Value, req.Prefix)
	if err != nil {
		return err
	}
	if req.Source == "" {
		req.Source = "desk"
	}
	e := intercept.Entry{Value: v, Prefix: req.Prefix, List: l, Reason: req.Reason, Source: req.Source, Who: who(c),
		Added: time.Now().UTC(), Expires: req.Expires}
	if err := s.desk.ChangeList(c.UserContext(), "add", t, e); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(entryOut(t, e))
}

func (s *Server) removeListEntry(c *fiber.Ctx) error {
	t, err := target(c)
	if err != nil {
		return err
	}
	prefix := c.QueryBool("prefix")
	v, err := s.normalValue(t, c.Params("value"), prefix)
	if err != nil {
		return err
	}
	if err := s.desk.ChangeList(c.UserContext(), "remove", t, intercept.Entry{Value: v, Prefix: prefix, Who: who(c)}); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// lookupResponse answers whether a number or account is listed, and by which entry
// (for a number, possibly a range containing it).
type lookupResponse struct {
	Value string     `json:"value"`
	List  string     `json:"list"` // "none" when not listed
	Entry *listEntry `json:"entry,omitempty"`
}

func (s *Server) lookupList(c *fiber.Ctx) error {
	t, err := target(c)
	if err != nil {
		return err
	}
	v, err := s.normalValue(t, c.Params("value"), false)
	if err != nil {
		return err
	}
	lists := s.desk.Engine().State().Lists
	h := lists.Account(v, time.Now())
	if t == "number" {
		h = lists.Number(v, time.Now())
	}
	out := lookupResponse{Value: v, List: "none"}
	if h.List != intercept.ListNone {
		e := entryOut(t, lists.HitEntry(h))
		out.List, out.Entry = e.List, &e
	}
	return c.JSON(out)
}

// searchList returns entries whose value starts with q (and of one list), up to limit.
func (s *Server) searchList(c *fiber.Ctx) error {
	t, err := target(c)
	if err != nil {
		return err
	}
	q, want := c.Query("q"), c.Query("list")
	if want != "" {
		if _, err := intercept.ParseList(want); err != nil {
			return &intercept.ValidationError{What: "list entry", Fields: []intercept.FieldError{{Field: "list", Reason: "want black, gray or white"}}}
		}
	}
	limit := min(max(c.QueryInt("limit", 100), 1), 1000)
	lists := s.desk.Engine().State().Lists
	seq := lists.Accounts()
	if t == "number" {
		seq = lists.Numbers()
	}
	out := []listEntry{}
	for e := range seq {
		if strings.HasPrefix(e.Value, q) && (want == "" || e.List.String() == want) {
			out = append(out, entryOut(t, e))
			if len(out) == limit {
				break
			}
		}
	}
	return c.JSON(out)
}

func (s *Server) exportLists(c *fiber.Ctx) error {
	t := c.Query("target")
	if t != "" && t != "number" && t != "account" {
		return &intercept.ValidationError{What: "list entry", Fields: []intercept.FieldError{{Field: "target", Reason: "want number, account or nothing for both"}}}
	}
	var b bytes.Buffer
	if _, err := intercept.WriteListCSV(&b, s.desk.Engine().State().Lists, t); err != nil {
		return fmt.Errorf("export lists: %w", err)
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="lanjie-lists.csv"`)
	return c.Send(b.Bytes())
}
