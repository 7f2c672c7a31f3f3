package rules

// account_list(a) returns the list account a is on: "black", "gray", "white" or "".
func (e *Env) accountList(a string) string {
	h := e.listHit(true, a)
	if h.List == 0 {
		return ""
	}
	e.note(evidence{fn: "account_list", subject: a, hit: e.st.Lists.HitEntry(h)})
	return h.List.String()
}
