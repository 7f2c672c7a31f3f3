package ui

import (
	"github.com/gofiber/fiber/v2"

	"github.com/lanjie/lanjie/intercept"
)

func (s *Server) caseRoutes() {
	s.handle(fiber.MethodGet, "/cases", readers, s.listCases)
	s.handle(fiber.MethodGet, "/cases/:id", readers, s.getCase)
	for _, op := range []string{"assign", "note", "status", "link"} {
		s.handle(fiber.MethodPost, "/cases/:id/"+op, desk, s.changeCase(op))
	}
}

func (s *Server) listCases(c *fiber.Ctx) error {
	out := s.desk.Book().Cases(intercept.CaseFilter{Status: c.Query("status"), Assignee: c.Query("assignee"),
		Limit: min(c.QueryInt("limit", 100), 1000)})
	if out == nil {
		out = []intercept.Case{}
	}
	return c.JSON(out)
}

// caseView is a case with its orders as they now stand.
type caseView struct {
	intercept.Case
	OrderDetails []intercept.Order `json:"order_details"`
}

func (s *Server) getCase(c *fiber.Ctx) error {
	cs, err := s.desk.Book().Case(c.Params("id"))
	if err != nil {
		return err
	}
	v := caseView{Case: cs, OrderDetails: []intercept.Order{}}
	for _, id := range cs.Orders {
		if o, err := s.desk.Book().Order(id); err == nil {
			v.OrderDetails = append(v.OrderDetails, o)
		}
	}
	return c.JSON(v)
}

// changeCase assigns ({"assignee"}), notes ({"text"}), sets the status ({"status"})
// or links events and orders ({"events","orders"}) to a case.
func (s *Server) changeCase(op string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req struct {
			Assignee string   `json:"assignee,omitempty"`
			Text     string   `json:"text,omitempty"`
			Status   string   `json:"status,omitempty"`
			Events   []string `json:"events,omitempty"`
			Orders   []string `json:"orders,omitempty"`
		}
		if err := bind(c, &req); err != nil {
			return err
		}
		cs, err := s.desk.ChangeCase(c.UserContext(), intercept.CaseChange{CaseID: c.Params("id"), Op: op, Who: who(c),
			Assignee: req.Assignee, Text: req.Text, Status: req.Status, Events: req.Events, Orders: req.Orders})
		if err != nil {
			return err
		}
		return c.JSON(cs)
	}
}
