package rules

import "github.com/lanjie/lanjie/intercept"

// contacts counts the calls and texts to phone in the last minutes whose caller meets
// want, and notes the latest of them for the explanation.
func (e *Env) contactCount(fn, phone string, minutes int, want uint32) int {
	n := 0
	var latest intercept.Contact
	for _, c := range e.contactsWithin(phone, e.window(minutes)) {
		if c.Tags&want == 0 {
			continue
		}
		if n == 0 || c.At.After(latest.At) {
			latest = c
		}
		n++
	}
	if n > 0 {
		e.note(evidence{fn: fn, subject: phone, minutes: minutes, n: n, contact: latest})
	}
	return n
}
