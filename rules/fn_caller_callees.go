package rules

// caller_callees(number, minutes) counts the distinct numbers number called or texted
// in the last minutes, this one included: one number ringing many is a call centre.
func (e *Env) callerCallees(number string, minutes int) int {
	n := e.count("caller_callees", number, "", minutes, func() countMemo {
		return countMemo{n: e.st.Callees(number, e.At, e.window(minutes))}
	}).n
	if n > 0 {
		e.note(evidence{fn: "caller_callees", subject: number, minutes: minutes, n: n})
	}
	return n
}
