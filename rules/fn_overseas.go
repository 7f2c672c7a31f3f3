package rules

// overseas(n) is true for a number outside the centre's own country.
func (e *Env) overseas(n string) bool {
	if !e.st.Overseas(n) {
		return false
	}
	e.note(evidence{fn: "overseas", subject: n})
	return true
}
