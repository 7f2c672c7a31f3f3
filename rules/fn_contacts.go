package rules

// contacts counts the calls and texts to phone in the last minutes whose caller meets
// want, and notes the latest of them for the explanation.
func (e *Env) contactCount(fn, phone string, minutes int, want uint32) int {
	d := e.window(minutes)
	e.contacts = e.st.Contacts(phone, e.At, d, want, e.contacts[:0])
	if len(e.contacts) == 0 {
		return 0
	}
	latest := e.contacts[0]
	for _, c := range e.contacts[1:] {
		if c.At.After(latest.At) {
			latest = c
		}
	}
	e.note(evidence{fn: fn, subject: phone, minutes: minutes, n: len(e.contacts), contact: latest})
	return len(e.contacts)
}
