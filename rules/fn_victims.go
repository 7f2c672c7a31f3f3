package rules

// victims(x) counts the distinct people who reported account or number x.
func (e *Env) victims(x string) int {
	n := e.st.Victims(x, e.At)
	if n > 0 {
		e.note(evidence{fn: "victims", subject: x, n: n})
	}
	return n
}
