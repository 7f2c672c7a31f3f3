package auth

// Kinds of principal.
const (
	// KindUser is a person logged in with a password.
	KindUser = "user"
	// KindKey is a partner system calling with an API key.
	KindKey = "key"
)

// Principal is who is making a request: a logged-in user or an API key.
type Principal struct {
	// Kind is KindUser or KindKey.
	Kind string `json:"kind"`
	// Name is the user name, or the key's name.
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Org is the bank or operator code for org-scoped roles, else "".
	Org string `json:"org,omitempty"`
	// KeyID is the key's ID when Kind is KindKey.
	KeyID string `json:"key_id,omitempty"`
}

// String names the principal for audit records and logs, e.g. "user:li.wei" or
// "key:key_0123456789ab".
func (p Principal) String() string {
	if p.Kind == KindKey {
		return KindKey + ":" + p.KeyID
	}
	return p.Kind + ":" + p.Name
}
