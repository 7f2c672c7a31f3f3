package rules

// payee_sum(account, minutes) sums, in whole yuan, the transfers into account in the
// last minutes, this one included.
func (e *Env) payeeSum(account string, minutes int) int {
	_, sum, _ := e.payee(account, minutes)
	yuan := int(sum / 100)
	if yuan > 0 {
		e.note(evidence{fn: "payee_sum", subject: account, minutes: minutes, n: yuan})
	}
	return yuan
}
