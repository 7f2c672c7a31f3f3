package rules

// virtual_range(n) is true for a number in a virtual-operator range (170, 171, ...).
func (e *Env) virtualRange(n string) bool {
	if !e.st.Virtual(n) {
		return false
	}
	e.note(evidence{fn: "virtual_range", subject: n})
	return true
}
