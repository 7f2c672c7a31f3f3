package rules

import "github.com/lanjie/lanjie/intercept"

// payee_count(account, minutes) counts the transfers into account in the last minutes,
// this one included.
func (e *Env) payeeCount(account string, minutes int) int {
	n, _, _ := e.payee(account, minutes)
	if n > 0 {
		e.note(evidence{fn: "payee_count", subject: account, minutes: minutes, n: n})
	}
	return n
}

// payee is the memoised window behind payee_count, payee_sum and payee_payers.
func (e *Env) payee(account string, minutes int) (n int, sum intercept.Fen, payers int) {
	c := e.count("payee", account, "", minutes, func() countMemo {
		n, sum, payers := e.st.PayeeTransfers(account, e.At, e.window(minutes))
		return countMemo{n: n, sum: int(sum), payers: payers}
	})
	return c.n, intercept.Fen(c.sum), c.payers
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
