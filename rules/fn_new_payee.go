package rules

// new_payee(payer, payee) is true when payer never paid payee before (as far as the
// engine remembers: Settings.PayeeMemory, the payer's latest 32 payees).
func (e *Env) newPayee(payer, payee string) bool {
	paid := e.count("new_payee", payer, payee, 0, func() countMemo {
		return countMemo{n: b2i(e.st.PaidBefore(payer, payee, e.At))}
	}).n
	if paid == 1 {
		return false
	}
	e.note(evidence{fn: "new_payee", subject: payee})
	return true
}
