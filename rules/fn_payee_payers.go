package rules

// payee_payers(account, minutes) counts the distinct payers into account in the last
// minutes, this one included: several victims paying one account is a mule.
func (e *Env) payeePayers(account string, minutes int) int {
	_, _, n := e.payee(account, minutes)
	if n > 0 {
		e.note(evidence{fn: "payee_payers", subject: account, minutes: minutes, n: n})
	}
	return n
}
