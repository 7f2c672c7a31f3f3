package rules

import "github.com/lanjie/lanjie/intercept"

// spoof_contacts(phone, minutes) counts the calls and texts phone received in the last
// minutes showing an official (white-listed) number that arrived from abroad or a
// virtual range.
func (e *Env) spoofContacts(phone string, minutes int) int {
	return e.contactCount("spoof_contacts", phone, minutes, intercept.TagSpoof)
}
