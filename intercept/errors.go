package intercept

import "errors"

// Error kinds. Callers wrap them with context (fmt.Errorf("...: %w", ErrInvalid));
// the HTTP layer maps each kind to one status.
var (
	// ErrInvalid reports input that breaks a rule of its shape or meaning.
	ErrInvalid = errors.New("invalid")
	// ErrNotFound reports a missing list entry, rule, order or event.
	ErrNotFound = errors.New("not found")
	// ErrConflict reports a change that contradicts current state, such as
	// black-listing an official (white-listed) number.
	ErrConflict = errors.New("conflict")
	// ErrForbidden reports an action outside the caller's scope.
	ErrForbidden = errors.New("forbidden")
	// ErrUnavailable reports that the console cannot keep what it is given right now
	// (the journal failed): nothing was acknowledged; retry later.
	ErrUnavailable = errors.New("unavailable")
)
