package rules

import "github.com/lanjie/lanjie/intercept"

// risky_contacts(phone, minutes) counts the calls and texts phone received in the last
// minutes from a risky number: listed, spoofed, virtual-range or high-risk. This is the cross-feed link that catches a transfer
// made during a scam call.
func (e *Env) riskyContacts(phone string, minutes int) int {
	return e.contactCount("risky_contacts", phone, minutes, intercept.TagsRisky)
}
