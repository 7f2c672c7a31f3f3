package rules

import "github.com/lanjie/lanjie/intercept"

// virtual_contacts(phone, minutes) counts the calls and texts phone received in the last
// minutes from a virtual-operator number. This is the cross-feed link that catches a transfer
// made during a scam call.
func (e *Env) virtualContacts(phone string, minutes int) int {
	return e.contactCount("virtual_contacts", phone, minutes, intercept.TagVirtual)
}
