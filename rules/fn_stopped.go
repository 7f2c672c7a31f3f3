package rules

// stopped(account) is true when a stop-payment order is in force on account: money
// leaving it marks the next mule in the chain.
func (e *Env) stopped(account string) bool {
	id, ok := e.st.Stopped(account)
	if ok {
		e.note(evidence{fn: "stopped", subject: account, order: id})
	}
	return ok
}
