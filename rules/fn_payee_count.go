package rules

// payee_count(account, minutes) counts the transfers into account in the last minutes,
// this one included.
func (e *Env) payeeCount(account string, minutes int) int {
	n, _, _ := e.st.PayeeTransfers(account, e.At, e.window(minutes))
	if n > 0 {
		e.note(evidence{fn: "payee_count", subject: account, minutes: minutes, n: n})
	}
	return n
}
