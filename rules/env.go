package rules

import (
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/lanjie/lanjie/intercept"
)

// Env is what a rule sees: the event's fields under snake_case names, and the rule
// functions. Rules are compiled against the value Env{} and run with a *Env, one per
// goroutine, reused. The function fields are closures bound once to their Env, so a
// call is a direct typed call (expr's OpCallTyped) and records its evidence on the
// Env for the explanation.
type Env struct {
	ID   string    `expr:"id"`
	Kind string    `expr:"kind"`
	At   time.Time `expr:"at"`
	Hour int       `expr:"hour"` // hour of day where the event happened (its own offset)

	Bank         string  `expr:"bank"`
	PayerAccount string  `expr:"payer_account"`
	PayerPhone   string  `expr:"payer_phone"`
	PayeeAccount string  `expr:"payee_account"`
	PayeeBank    string  `expr:"payee_bank"`
	Amount       float64 `expr:"amount"`      // yuan
	Balance      float64 `expr:"balance"`     // yuan, payer's balance before the transfer
	HasBalance   bool    `expr:"has_balance"` // the bank sent the balance
	Channel      string  `expr:"channel"`

	Operator string `expr:"operator"`
	Caller   string `expr:"caller"`
	Callee   string `expr:"callee"`
	Duration int    `expr:"duration"` // call length, seconds
	Origin   string `expr:"origin"`
	Text     string `expr:"text"`

	ReporterPhone   string   `expr:"reporter_phone"`
	FraudType       string   `expr:"fraud_type"`
	SuspectNumbers  []string `expr:"suspect_numbers"`
	SuspectAccounts []string `expr:"suspect_accounts"`
	AmountLost      float64  `expr:"amount_lost"` // yuan

	NumberList       func(string) string       `expr:"number_list"`
	AccountList      func(string) string       `expr:"account_list"`
	Overseas         func(string) bool         `expr:"overseas"`
	VirtualRange     func(string) bool         `expr:"virtual_range"`
	PayeeCount       func(string, int) int     `expr:"payee_count"`
	PayeeSum         func(string, int) int     `expr:"payee_sum"`
	PayeePayers      func(string, int) int     `expr:"payee_payers"`
	CallerCallees    func(string, int) int     `expr:"caller_callees"`
	Victims          func(string) int          `expr:"victims"`
	Reports          func(string) int          `expr:"reports"`
	NewPayee         func(string, string) bool `expr:"new_payee"`
	Stopped          func(string) bool         `expr:"stopped"`
	ListedContacts   func(string, int) int     `expr:"listed_contacts"`
	RiskyContacts    func(string, int) int     `expr:"risky_contacts"`
	OverseasContacts func(string, int) int     `expr:"overseas_contacts"`
	VirtualContacts  func(string, int) int     `expr:"virtual_contacts"`
	SpoofContacts    func(string, int) int     `expr:"spoof_contacts"`
	HasLink          func(string) bool         `expr:"has_link"`

	st       *intercept.State
	ev       *intercept.Event
	evidence []evidence
	contacts []intercept.Contact
	memo     memo
	machine  vm.VM
}

// newEnv returns an Env with its functions bound to it.
func newEnv() *Env {
	e := &Env{}
	e.NumberList = e.numberList
	e.AccountList = e.accountList
	e.Overseas = e.overseas
	e.VirtualRange = e.virtualRange
	e.PayeeCount = e.payeeCount
	e.PayeeSum = e.payeeSum
	e.PayeePayers = e.payeePayers
	e.CallerCallees = e.callerCallees
	e.Victims = e.victims
	e.Reports = e.reports
	e.NewPayee = e.newPayee
	e.Stopped = e.stopped
	e.ListedContacts = e.listedContacts
	e.RiskyContacts = e.riskyContacts
	e.OverseasContacts = e.overseasContacts
	e.VirtualContacts = e.virtualContacts
	e.SpoofContacts = e.spoofContacts
	e.HasLink = e.hasLink
	return e
}

// load points the Env at one event.
func (e *Env) load(st *intercept.State, ev *intercept.Event) {
	e.st, e.ev = st, ev
	e.ID, e.Kind, e.At, e.Hour = ev.ID, ev.Kind.String(), ev.At, ev.At.Hour()
	e.Bank, e.PayerAccount, e.PayerPhone = ev.Bank, ev.PayerAccount, ev.PayerPhone
	e.PayeeAccount, e.PayeeBank, e.Channel = ev.PayeeAccount, ev.PayeeBank, ev.Channel
	e.Amount, e.Balance, e.HasBalance = ev.Amount.Yuan(), ev.PayerBalance.Yuan(), ev.HasBalance
	e.Operator, e.Caller, e.Callee = ev.Operator, ev.Caller, ev.Callee
	e.Duration, e.Origin, e.Text = ev.DurationS, ev.Origin, ev.Text
	e.ReporterPhone, e.FraudType, e.AmountLost = ev.ReporterPhone, ev.FraudType, ev.AmountLost.Yuan()
	e.SuspectNumbers = ev.SuspectNumbers
	e.SuspectAccounts = e.SuspectAccounts[:0]
	for _, a := range ev.SuspectAccounts {
		e.SuspectAccounts = append(e.SuspectAccounts, a.Account)
	}
	e.evidence = e.evidence[:0]
	e.memo.reset()
}

// window turns a rule's minutes argument into a duration, refusing what the engine
// cannot answer; the panic becomes the rule's error on the decision.
func (e *Env) window(minutes int) time.Duration {
	if minutes <= 0 {
		panic(errorf("minutes must be positive, got %d", minutes))
	}
	d := time.Duration(minutes) * time.Minute
	if h := e.st.Horizon(); d > h {
		panic(errorf("window of %d minutes is longer than the engine keeps (%d minutes)", minutes, int(h.Minutes())))
	}
	return d
}
