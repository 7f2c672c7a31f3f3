package intercept

import "time"

// Kind is the kind of an incoming event.
type Kind uint8

// The four event kinds. KindUnknown is the zero value and never valid.
const (
	KindUnknown Kind = iota
	KindTransfer
	KindCall
	KindSMS
	KindReport
	numKinds
)

var kindNames = [numKinds]string{"", "transfer", "call", "sms", "report"}

// String returns the kind as written in JSON ("transfer", "call", "sms", "report").
func (k Kind) String() string {
	if k >= numKinds {
		return ""
	}
	return kindNames[k]
}

// ParseKind returns the kind named s, or KindUnknown.
func ParseKind(s string) Kind {
	for k := KindTransfer; k < numKinds; k++ {
		if kindNames[k] == s {
			return k
		}
	}
	return KindUnknown
}

// Kinds lists the valid kinds in order.
func Kinds() []Kind { return []Kind{KindTransfer, KindCall, KindSMS, KindReport} }

// Fen is an amount of money in fen (1/100 yuan). JSON carries yuan as a decimal string.
type Fen int64

// AccountRef names a bank account a report suspects, with what the victim knows of
// the payment into it: the holder's name, the amount and when. A stop-payment carries
// them, and the bank executes it only if they match its own records. Its JSON form is
// the event's (Event.AppendJSON): amount in yuan, at in RFC 3339.
type AccountRef struct {
	Bank    string
	Account string
	Name    string    // the holder's name, as the victim was shown it
	Amount  Fen       // paid into the account (0: not known)
	At      time.Time // when it was paid (zero: not known)
}

// Event is one incoming fact: a bank transfer, a call, an SMS or a hotline report.
// One flat struct serves all four kinds so the engine and the rules read it without
// type switches; fields that do not belong to Kind are zero. Phone numbers are E.164
// ("+8613800000001"), money is in fen, times keep the offset they were sent with.
type Event struct {
	ID   string
	Kind Kind
	At   time.Time

	// transfer
	Bank         string // the payer's bank, which sends the feed
	PayerAccount string
	PayerPhone   string
	PayeeAccount string
	PayeeBank    string
	PayeeName    string // the payee's name as the payer's bank has it (optional)
	Amount       Fen
	PayerBalance Fen  // balance before the transfer, when HasBalance
	HasBalance   bool // payer_balance was sent
	Channel      string

	// call and sms
	Operator  string
	Caller    string
	Callee    string
	DurationS int    // call only
	Origin    string // call only: where the call entered the operator's network
	Text      string // sms only

	// report
	ReporterPhone   string
	FraudType       string
	SuspectNumbers  []string
	SuspectAccounts []AccountRef
	AmountLost      Fen
	Narrative       string
}
