package rules

// number_list(n) returns the list number n is on — "black", "gray", "white" or "" —
// taking both the number itself and every range containing it; white wins.
func (e *Env) numberList(n string) string {
	h := e.listHit(false, n)
	if h.List == 0 {
		return ""
	}
	e.note(evidence{fn: "number_list", subject: n, hit: e.st.Lists.HitEntry(h)})
	return h.List.String()
}
