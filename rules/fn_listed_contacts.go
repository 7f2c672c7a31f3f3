package rules

import "github.com/lanjie/lanjie/intercept"

// listed_contacts(phone, minutes) counts the calls and texts phone received in the last
// minutes from a black- or gray-listed number. This is the cross-feed link that catches a transfer
// made during a scam call.
func (e *Env) listedContacts(phone string, minutes int) int {
	return e.contactCount("listed_contacts", phone, minutes, intercept.TagBlack|intercept.TagGray)
}
