package rules

// reports(x) is how many times account or number x was reported in the desk's history,
// from the cached risk profile. A profile not cached yet counts 0 this time (the cache
// fills in the background): never block a decision on history.
func (e *Env) reports(x string) int {
	p := e.st.Profile(x)
	if p.Reports > 0 {
		e.note(evidence{fn: "reports", subject: x, n: p.Reports})
	}
	return p.Reports
}
