package rules

import "github.com/lanjie/lanjie/intercept"

// overseas_contacts(phone, minutes) counts the calls and texts phone received in the last
// minutes from an overseas number. This is the cross-feed link that catches a transfer
// made during a scam call.
func (e *Env) overseasContacts(phone string, minutes int) int {
	return e.contactCount("overseas_contacts", phone, minutes, intercept.TagOverseas)
}
