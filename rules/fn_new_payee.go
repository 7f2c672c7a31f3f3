package rules

// new_payee(payer, payee) is true when payer never paid payee before (as far as the
// engine remembers: Settings.PayeeMemory, the payer's latest 32 payees).
func (e *Env) newPayee(payer, payee string) bool {
	if e.st.PaidBefore(payer, payee, e.At) {
		return false
	}
	e.note(evidence{fn: "new_payee", subject: payee})
	return true
}
