package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lanjie/lanjie/intercept"
	"github.com/lanjie/lanjie/ui/auth"
)

func (s *Server) sessionRoutes() {
	s.handle(fiber.MethodPost, "/login", anyone, s.login)
	s.handle(fiber.MethodPost, "/logout", signedIn, s.logout)
	s.handle(fiber.MethodGet, "/me", signedIn, s.me)
	s.handle(fiber.MethodGet, "/users", admins, func(c *fiber.Ctx) error { return c.JSON(s.auth.Users()) })
	s.handle(fiber.MethodPost, "/users", admins, s.createUser)
	s.handle(fiber.MethodPost, "/users/:name/password", people, s.setPassword)
	s.handle(fiber.MethodPost, "/users/:name/disable", admins, s.disableUser)
	s.handle(fiber.MethodGet, "/apikeys", admins, func(c *fiber.Ctx) error { return c.JSON(s.auth.Keys()) })
	s.handle(fiber.MethodPost, "/apikeys", admins, s.createKey)
	s.handle(fiber.MethodDelete, "/apikeys/:id", admins, s.revokeKey)
	s.handle(fiber.MethodGet, "/webhooks", admins, func(c *fiber.Ctx) error { return c.JSON(s.auth.Webhooks()) })
	s.handle(fiber.MethodPut, "/webhooks/:org", admins, s.setWebhook)
	s.handle(fiber.MethodGet, "/deliveries", deskAndOrgs, s.deliveries)
}

// bind decodes a JSON body strictly into v: unknown fields and trailing data are
// errors naming what is wrong.
func bind(c *fiber.Ctx, v any) error {
	if len(c.Body()) == 0 {
		return fmt.Errorf("body: want a JSON object: %w", intercept.ErrInvalid)
	}
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fiber.NewError(fiber.StatusBadRequest, "body: "+err.Error())
	}
	if dec.More() {
		return fiber.NewError(fiber.StatusBadRequest, "body: more than one JSON value")
	}
	return nil
}

// loginSeed hashes user names onto the sign-in locks.
var loginSeed = maphash.MakeSeed()

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	User auth.Principal `json:"user"`
	CSRF string         `json:"csrf"` // send back as X-CSRF-Token on every change
}

// login starts a browser session. Failures are throttled by name and by address.
func (s *Server) login(c *fiber.Ctx) error {
	var req loginRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	if len(req.Username) <= 64 {
		c.Locals("login", req.Username) // for the audit trail
	}
	if len(req.Username) > 64 || len(req.Password) > 1024 {
		return fiber.NewError(fiber.StatusUnauthorized, auth.ErrBadCredentials.Error())
	}
	// Sign-ins to one name run one at a time, so parallel guesses cannot all pass the
	// throttle while bcrypt runs.
	mu := &s.loginLocks[maphash.String(loginSeed, req.Username)%uint64(len(s.loginLocks))]
	mu.Lock()
	defer mu.Unlock()
	keys := []string{"user:" + req.Username, "ip:" + c.IP()}
	for _, k := range keys {
		if wait, ok := s.throttle.Check(k); !ok {
			c.Set(fiber.HeaderRetryAfter, fmt.Sprint(int(wait.Seconds())+1))
			return fiber.NewError(fiber.StatusTooManyRequests, "too many failed sign-ins: try again later")
		}
	}
	p, err := s.auth.Authenticate(req.Username, req.Password)
	if err != nil {
		for _, k := range keys {
			s.throttle.Fail(k)
		}
		return fiber.NewError(fiber.StatusUnauthorized, auth.ErrBadCredentials.Error())
	}
	s.throttle.Reset(keys[0])
	sess := s.sessions.Start(p)
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: sess.Token, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode,
		Secure: c.Protocol() == "https", Expires: time.Now().Add(12 * time.Hour)})
	c.Locals("principal", p)
	return c.JSON(loginResponse{User: p, CSRF: sess.CSRF})
}

func (s *Server) logout(c *fiber.Ctx) error {
	if tok, ok := c.Locals("session").(string); ok {
		s.sessions.End(tok)
	}
	c.ClearCookie(SessionCookie)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) me(c *fiber.Ctx) error { return c.JSON(principal(c)) }

type userRequest struct {
	Name     string    `json:"name"`
	Password string    `json:"password"`
	Role     auth.Role `json:"role"`
	Org      string    `json:"org,omitempty"`
}

func (s *Server) createUser(c *fiber.Ctx) error {
	var req userRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	u, err := s.auth.CreateUser(req.Name, req.Password, req.Role, req.Org, who(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(u)
}

// setPassword changes a password: one's own, or anyone's for an admin. Every session
// of that user ends.
func (s *Server) setPassword(c *fiber.Ctx) error {
	name, p := c.Params("name"), principal(c)
	if p.Kind != auth.KindUser || (p.Name != name && p.Role != auth.Admin) {
		return fmt.Errorf("only %s or an admin may change this password: %w", name, intercept.ErrForbidden)
	}
	var req struct {
		Current  string `json:"current"`
		Password string `json:"password"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if err := auth.CheckPassword(req.Password); err != nil {
		return err
	}
	if p.Name == name {
		if err := s.checkCurrent(c, name, req.Current); err != nil {
			return err
		}
	}
	if err := s.auth.SetPassword(name, req.Password); err != nil {
		return err
	}
	s.sessions.EndAll(name)
	return c.SendStatus(fiber.StatusNoContent)
}

// checkCurrent checks the password of one's own that a change must give, so that a
// session left open is not enough to take the account over. A wrong one counts as a
// failed sign-in of that name, under the same throttle.
func (s *Server) checkCurrent(c *fiber.Ctx, name, current string) error {
	if current == "" {
		return &intercept.ValidationError{What: "password change", Fields: []intercept.FieldError{{Field: "current", Reason: "required: your current password"}}}
	}
	mu := &s.loginLocks[maphash.String(loginSeed, name)%uint64(len(s.loginLocks))]
	mu.Lock()
	defer mu.Unlock()
	key := "user:" + name
	if wait, ok := s.throttle.Check(key); !ok {
		c.Set(fiber.HeaderRetryAfter, fmt.Sprint(int(wait.Seconds())+1))
		return fiber.NewError(fiber.StatusTooManyRequests, "too many failed sign-ins: try again later")
	}
	if _, err := s.auth.Authenticate(name, current); err != nil {
		s.throttle.Fail(key)
		return &intercept.ValidationError{What: "password change", Fields: []intercept.FieldError{{Field: "current", Reason: "wrong password"}}}
	}
	return nil
}

func (s *Server) disableUser(c *fiber.Ctx) error {
	name := c.Params("name")
	if err := s.auth.DisableUser(name); err != nil {
		return err
	}
	s.sessions.EndAll(name)
	return c.SendStatus(fiber.StatusNoContent)
}

type keyRequest struct {
	Name string    `json:"name"`
	Role auth.Role `json:"role"`
	Org  string    `json:"org,omitempty"`
}

type keyResponse struct {
	Key  string   `json:"key"` // shown once: only its hash is kept
	Info auth.Key `json:"info"`
}

func (s *Server) createKey(c *fiber.Ctx) error {
	var req keyRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	secret, k, err := s.auth.CreateKey(req.Name, req.Role, req.Org, who(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(keyResponse{Key: secret, Info: k})
}

func (s *Server) revokeKey(c *fiber.Ctx) error {
	if err := s.auth.RevokeKey(c.Params("id"), who(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type webhookResponse struct {
	Org    string `json:"org"`
	URL    string `json:"url"`
	Secret string `json:"secret"` // shown once: sign-check deliveries with it
}

// setWebhook sets where an org receives its orders; orders waiting for it go out.
func (s *Server) setWebhook(c *fiber.Ctx) error {
	var req struct {
		URL string `json:"url"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	org := c.Params("org")
	secret, err := s.auth.SetWebhook(org, req.URL, who(c))
	if err != nil {
		return err
	}
	if s.delivery != nil {
		s.delivery.Redeliver(org)
	}
	return c.JSON(webhookResponse{Org: org, URL: req.URL, Secret: secret})
}

// deliveries is the webhook delivery log, an org's own only for its liaisons.
func (s *Server) deliveries(c *fiber.Ctx) error {
	if s.delivery == nil {
		return c.JSON([]any{})
	}
	org := c.Query("org")
	if scope := orgScope(c); scope != "" {
		org = scope
	}
	return c.JSON(s.delivery.Log(org, c.QueryInt("limit", 100)))
}
