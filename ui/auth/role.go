// Package auth holds the identities of the console: users with bcrypt-hashed
// passwords, organisation API keys for partner systems, login sessions and login
// throttling. It is a plain package: the HTTP layer in ui decides how requests
// carry credentials and maps the errors returned here to statuses.
package auth

import (
	"fmt"

	"github.com/lanjie/lanjie/intercept"
)

// Role is what a principal may do in the console.
type Role string

// Roles of people and of partner systems.
const (
	// Hotline takes victims' reports and issues orders.
	Hotline Role = "hotline"
	// BankLiaison works the orders of one bank.
	BankLiaison Role = "bank_liaison"
	// OperatorLiaison works the cutoffs of one mobile operator.
	OperatorLiaison Role = "operator_liaison"
	// Volunteer warns people from the warning queue.
	Volunteer Role = "volunteer"
	// Analyst writes rules, manages lists and reads dashboards.
	Analyst Role = "analyst"
	// Admin manages users, keys and settings.
	Admin Role = "admin"
	// BankSystem is a bank's system posting transfers with an API key.
	BankSystem Role = "bank_system"
	// OperatorSystem is an operator's system posting calls and SMS with an API key.
	OperatorSystem Role = "operator_system"
)

// Roles lists every role, people first, in a stable order for forms and docs.
var Roles = []Role{Hotline, BankLiaison, OperatorLiaison, Volunteer, Analyst, Admin, BankSystem, OperatorSystem}

// ParseRole returns the role named s, or an error wrapping intercept.ErrInvalid.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("role %q: unknown role: %w", s, intercept.ErrInvalid)
}

// NeedsOrg reports whether the role is scoped to one organisation (a bank or an
// operator) and so must carry its org code.
func (r Role) NeedsOrg() bool {
	return r.Bank() || r.Operator()
}

// Bank reports whether the role acts for one bank.
func (r Role) Bank() bool {
	return r == BankLiaison || r == BankSystem
}

// Operator reports whether the role acts for one mobile operator.
func (r Role) Operator() bool {
	return r == OperatorLiaison || r == OperatorSystem
}

// System reports whether the role belongs to a partner system rather than a person.
func (r Role) System() bool {
	return r == BankSystem || r == OperatorSystem
}

// CanHaveKey reports whether an API key may be issued with this role.
func (r Role) CanHaveKey() bool {
	switch r {
	case BankSystem, OperatorSystem, Hotline, Analyst:
		return true
	}
	return false
}

// ValidOrg reports whether s is an org code: 2 to 16 of A-Z, 0-9 and _.
func ValidOrg(s string) bool { return intercept.ValidOrg(s) }

// checkRoleOrg checks that role is known and that org is given exactly when the
// role needs one.
func checkRoleOrg(role Role, org string) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	switch {
	case role.NeedsOrg() && org == "":
		return fmt.Errorf("org: role %s needs an org code: %w", role, intercept.ErrInvalid)
	case role.NeedsOrg() && !ValidOrg(org):
		return fmt.Errorf("org %q: want 2 to 16 of A-Z, 0-9, _: %w", org, intercept.ErrInvalid)
	case !role.NeedsOrg() && org != "":
		return fmt.Errorf("org: role %s takes no org, got %q: %w", role, org, intercept.ErrInvalid)
	}
	return nil
}
