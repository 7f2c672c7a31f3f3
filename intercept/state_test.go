package intercept_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

// scoreByID returns rules that give the events named in scores their score.
func scoreByID(scores map[string]int) func(*intercept.State, *intercept.Event, *intercept.Outcome) {
	return func(_ *intercept.State, ev *intercept.Event, out *intercept.Outcome) {
		if s, ok := scores[ev.ID]; ok {
			out.Matched = append(out.Matched, intercept.Match{Rule: "fake", Score: s})
		}
	}
}

// Callers of the contacts scenario, one per kind of risk.
const (
	blackCaller   = "+8613900000009"
	grayCaller    = "+8613700000008"
	overseas      = "+85512345678"
	virtualCaller = "+8617012345678"
	virtualTexter = "+8617100000001"
	highRisk      = "+8615900000007"
	plainCaller   = "+8618600000006"
	oldBlack      = "+8613500000005"
)

// contactsEngine replays calls and texts to victim in the hour before T0, one 100
// minutes before and one beyond the horizon.
func contactsEngine(t *testing.T) *intercept.Engine {
	t.Helper()
	e := testEngine(t, intercept.DefaultSettings(), scoreByID(map[string]int{"c-high": 60, "c-plain": 30}))
	it.Black(t, e, blackCaller)
	it.Black(t, e, oldBlack)
	if err := e.State().Lists.AddNumber(intercept.Entry{Value: grayCaller, List: intercept.ListGray}); err != nil {
		t.Fatal(err)
	}
	it.White(t, e, official)
	spoof := it.Call("c-spoof", it.T0.Add(-5*time.Minute), official, victim)
	spoof.Origin = "international_gateway"
	for _, ev := range []*intercept.Event{
		it.Call("c-ancient", it.T0.Add(-3*time.Hour), oldBlack, victim), // beyond the 2h horizon
		it.Call("c-old", it.T0.Add(-100*time.Minute), oldBlack, victim),
		it.Call("c-black", it.T0.Add(-50*time.Minute), blackCaller, victim),
		it.Call("c-gray", it.T0.Add(-40*time.Minute), grayCaller, victim),
		it.Call("c-over", it.T0.Add(-30*time.Minute), overseas, victim),
		it.Call("c-virt", it.T0.Add(-20*time.Minute), virtualCaller, victim),
		it.SMS("s-virt", it.T0.Add(-15*time.Minute), virtualTexter, victim, "点击链接"),
		it.Call("c-high", it.T0.Add(-10*time.Minute), highRisk, victim),
		it.Call("c-plain", it.T0.Add(-8*time.Minute), plainCaller, victim), // yellow: not high risk
		it.SMS("s-plain", it.T0.Add(-7*time.Minute), plainCaller, victim, "你好"),
		spoof,
		it.Call("c-other", it.T0.Add(-time.Minute), blackCaller, "+8613800000002"),
		it.Call("c-later", it.T0.Add(time.Minute), blackCaller, victim), // after the query time
	} {
		decide(t, e, ev)
	}
	return e
}

func refs(cs []intercept.Contact) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Ref)
	}
	slices.Sort(out)
	return out
}

func TestContactsByTag(t *testing.T) {
	e := contactsEngine(t)
	st := e.State()
	tests := []struct {
		name string
		d    time.Duration
		want uint32
		refs []string
	}{
		{"black", time.Hour, intercept.TagBlack, []string{"c-black"}},
		{"black, two hours", 2 * time.Hour, intercept.TagBlack, []string{"c-black", "c-old"}},
		{"beyond the horizon", 24 * time.Hour, intercept.TagBlack, []string{"c-black", "c-old"}},
		{"gray", time.Hour, intercept.TagGray, []string{"c-gray"}},
		{"black or gray", time.Hour, intercept.TagBlack | intercept.TagGray, []string{"c-black", "c-gray"}},
		{"overseas", time.Hour, intercept.TagOverseas, []string{"c-over"}},
		{"virtual", time.Hour, intercept.TagVirtual, []string{"c-virt", "s-virt"}},
		{"sms", time.Hour, intercept.TagSMS, []string{"s-virt"}},
		{"spoof", time.Hour, intercept.TagSpoof, []string{"c-spoof"}},
		{"high risk", time.Hour, intercept.TagHighRisk, []string{"c-high"}},
		{"risky", time.Hour, intercept.TagsRisky, []string{"c-black", "c-gray", "c-high", "c-spoof", "c-virt", "s-virt"}},
		{"short window", 12 * time.Minute, intercept.TagsRisky, []string{"c-high", "c-spoof"}},
		{"nothing wanted", time.Hour, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := st.Contacts(victim, it.T0, tt.d, tt.want, nil)
			if diff := cmp.Diff(tt.refs, refs(got)); diff != "" {
				t.Errorf("Contacts (-want +got):\n%s", diff)
			}
			if n := st.CountContacts(victim, it.T0, tt.d, tt.want); n != len(tt.refs) {
				t.Errorf("CountContacts = %d, want %d", n, len(tt.refs))
			}
		})
	}
	// Someone nobody risky called.
	if n := st.CountContacts("+8613800000003", it.T0, time.Hour, intercept.TagsRisky); n != 0 {
		t.Errorf("CountContacts(uncalled) = %d", n)
	}
}

func TestContactsDetails(t *testing.T) {
	st := contactsEngine(t).State()
	got := st.Contacts(victim, it.T0, time.Hour, intercept.TagBlack|intercept.TagOverseas|intercept.TagSpoof, []intercept.Contact{{Ref: "kept"}})
	slices.SortFunc(got, func(a, b intercept.Contact) int { return a.At.Compare(b.At) })
	want := []intercept.Contact{
		{Ref: "kept"},
		{Caller: blackCaller, At: it.T0.Add(-50 * time.Minute), Tags: intercept.TagBlack, Ref: "c-black"},
		{Caller: overseas, At: it.T0.Add(-30 * time.Minute), Tags: intercept.TagOverseas, Ref: "c-over"},
		{Caller: official, At: it.T0.Add(-5 * time.Minute), Tags: intercept.TagSpoof, Ref: "c-spoof"},
	}
	// Contact.At is compared with time.Time.Equal: the zone does not matter.
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Contacts (-want +got):\n%s", diff)
	}
}

// The caller's list is read at query time: a number reported after it called counts
// as black, one white-listed since does not.
func TestContactsFollowCurrentList(t *testing.T) {
	e := contactsEngine(t)
	st := e.State()
	it.Black(t, e, overseas) // reported after the call
	if err := st.Lists.AddNumber(intercept.Entry{Value: blackCaller, List: intercept.ListWhite}); err != nil {
		t.Fatal(err)
	}
	got := st.Contacts(victim, it.T0, time.Hour, intercept.TagBlack, nil)
	if diff := cmp.Diff([]string{"c-over"}, refs(got)); diff != "" {
		t.Errorf("black contacts (-want +got):\n%s", diff)
	}
	if len(got) == 1 && got[0].Tags != intercept.TagBlack|intercept.TagOverseas {
		t.Errorf("tags %b, want black and overseas", got[0].Tags)
	}
	if n := st.CountContacts(victim, it.T0, time.Hour, intercept.TagBlack); n != 1 {
		t.Errorf("CountContacts(black) = %d, want 1", n)
	}
	// Gray to black by range: black wins.
	if err := st.Lists.AddNumber(intercept.Entry{Value: "+86137", Prefix: true, List: intercept.ListBlack}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"c-gray", "c-over"}, refs(st.Contacts(victim, it.T0, time.Hour, intercept.TagBlack, nil))); diff != "" {
		t.Errorf("after range (-want +got):\n%s", diff)
	}
	got = st.Contacts(victim, it.T0, time.Hour, intercept.TagBlack, nil)
	slices.SortFunc(got, func(a, b intercept.Contact) int { return a.At.Compare(b.At) })
	if len(got) == 2 && got[0].Tags != intercept.TagGray|intercept.TagBlack {
		t.Errorf("c-gray tags %b, want the recorded gray and the current black", got[0].Tags)
	}
	// Asking for other bits leaves the recorded tags alone.
	got = st.Contacts(victim, it.T0, time.Hour, intercept.TagOverseas, nil)
	if len(got) != 1 || got[0].Tags != intercept.TagOverseas {
		t.Errorf("overseas contacts %+v, want c-over with its recorded tags", got)
	}
}

func TestOverseasAndVirtual(t *testing.T) {
	st := testEngine(t, intercept.DefaultSettings(), nil).State()
	tests := []struct {
		n                 string
		overseas, virtual bool
	}{
		{"+8613800000001", false, false},
		{"+85512345678", true, false},
		{"+12025550123", true, false},
		{"+8617012345678", false, true},
		{"+8616212345678", false, true},
		{"+86170", false, true},
		{"+8617", false, false},
		{"+8617212345678", false, false},
		{"8617012345678", false, false}, // not E.164: neither
		{"110", false, false},
		{"+", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.n, func(t *testing.T) {
			if got := st.Overseas(tt.n); got != tt.overseas {
				t.Errorf("Overseas = %v, want %v", got, tt.overseas)
			}
			if got := st.Virtual(tt.n); got != tt.virtual {
				t.Errorf("Virtual = %v, want %v", got, tt.virtual)
			}
		})
	}

	s := intercept.DefaultSettings()
	s.DefaultCountry, s.VirtualPrefixes = "1", []string{"+1500"}
	st = testEngine(t, s, nil).State()
	if !st.Overseas("+8613800000001") || st.Overseas("+12025550123") {
		t.Error("country 1: Overseas wrong")
	}
	if !st.Virtual("+15005550006") || st.Virtual("+8617012345678") {
		t.Error("virtual +1500: Virtual wrong")
	}
}

func TestPayeeTransfers(t *testing.T) {
	const other = "6228480000000003"
	var during []int
	e := testEngine(t, intercept.DefaultSettings(), func(st *intercept.State, ev *intercept.Event, _ *intercept.Outcome) {
		n, _, _ := st.PayeeTransfers(ev.PayeeAccount, ev.At, time.Hour)
		during = append(during, n)
	})
	for _, ev := range []*intercept.Event{
		it.Transfer("t-old", it.T0.Add(-2*time.Hour), "6222020000000003", "+8613800000003", payee, 9999),
		it.Transfer("t-1", it.T0.Add(-30*time.Minute), "6222020000000001", "+8613800000001", payee, 1000),
		it.Transfer("t-2", it.T0.Add(-20*time.Minute), "6222020000000002", "+8613800000002", payee, 2000),
		it.Transfer("t-3", it.T0.Add(-10*time.Minute), "6222020000000001", "+8613800000001", payee, 500),
		it.Transfer("t-x", it.T0.Add(-10*time.Minute), "6222020000000001", "+8613800000001", other, 777),
	} {
		decide(t, e, ev)
	}
	// Each transfer counts itself while its rules run.
	if diff := cmp.Diff([]int{1, 1, 2, 3, 1}, during); diff != "" {
		t.Errorf("counts seen by the rules (-want +got):\n%s", diff)
	}
	st := e.State()
	tests := []struct {
		name      string
		payee     string
		at        time.Time
		d         time.Duration
		n, payers int
		sum       intercept.Fen
	}{
		{"last hour", payee, it.T0, time.Hour, 3, 2, 350000},
		{"three hours", payee, it.T0, 3 * time.Hour, 4, 3, 1349900},
		{"earlier, later ones excluded", payee, it.T0.Add(-15 * time.Minute), time.Hour, 2, 2, 300000},
		{"bounds included", payee, it.T0.Add(-10 * time.Minute), 20 * time.Minute, 3, 2, 350000},
		{"other payee", other, it.T0, time.Hour, 1, 1, 77700},
		{"unknown payee", "6228480000000009", it.T0, time.Hour, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, sum, payers := st.PayeeTransfers(tt.payee, tt.at, tt.d)
			if n != tt.n || sum != tt.sum || payers != tt.payers {
				t.Errorf("PayeeTransfers = %d, %d, %d; want %d, %d, %d", n, sum, payers, tt.n, tt.sum, tt.payers)
			}
		})
	}
}

func TestCallees(t *testing.T) {
	const caller = "+8613900000001"
	e := testEngine(t, intercept.DefaultSettings(), nil)
	for _, ev := range []*intercept.Event{
		it.Call("c-old", it.T0.Add(-2*time.Hour), caller, "+8613800000004"),
		it.Call("c-1", it.T0.Add(-40*time.Minute), caller, "+8613800000001"),
		it.Call("c-2", it.T0.Add(-30*time.Minute), caller, "+8613800000002"),
		it.Call("c-3", it.T0.Add(-20*time.Minute), caller, "+8613800000001"),
		it.SMS("s-1", it.T0.Add(-10*time.Minute), caller, "+8613800000003", "hi"),
		it.Call("c-x", it.T0.Add(-10*time.Minute), "+8613900000002", "+8613800000005"),
	} {
		decide(t, e, ev)
	}
	st := e.State()
	for _, tt := range []struct {
		name   string
		caller string
		d      time.Duration
		want   int
	}{
		{"hour", caller, time.Hour, 3},
		{"three hours", caller, 3 * time.Hour, 4},
		{"quarter", caller, 15 * time.Minute, 1},
		{"other caller", "+8613900000002", time.Hour, 1},
		{"unknown", "+8613900000003", time.Hour, 0},
	} {
		if got := st.Callees(tt.caller, it.T0, tt.d); got != tt.want {
			t.Errorf("%s: Callees = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestVictims(t *testing.T) {
	const acct, number = "6228480000000002", "+85512345678"
	e := testEngine(t, intercept.DefaultSettings(), nil)
	for _, ev := range []*intercept.Event{
		it.Report("r-1", it.T0, "+8613800000001", []string{number}, []string{acct}),
		it.Report("r-2", it.T0.Add(time.Hour), "+8613800000002", nil, []string{acct}),
		it.Report("r-3", it.T0.Add(2*time.Hour), "+8613800000001", nil, []string{acct}),
	} {
		decide(t, e, ev)
	}
	st := e.State()
	day := it.T0.Add(24 * time.Hour)
	for _, tt := range []struct {
		x    string
		at   time.Time
		want int
	}{
		{acct, day, 2},
		{number, day, 1},
		{"6228480000000009", day, 0},
		{acct, it.T0.Add(30 * time.Minute), 1},
		{acct, it.T0.Add(-time.Minute), 0},
	} {
		if got := st.Victims(tt.x, tt.at); got != tt.want {
			t.Errorf("Victims(%s, %s) = %d, want %d", tt.x, tt.at.Format(time.TimeOnly), got, tt.want)
		}
	}
}

// Victims counts reports within Settings.PayeeMemory only (its doc comment).
func TestVictimsForgetsAfterPayeeMemory(t *testing.T) {
	const acct = "6228480000000002"
	s := intercept.DefaultSettings()
	e := testEngine(t, s, nil)
	decide(t, e, it.Report("r-1", it.T0, "+8613800000001", nil, []string{acct}))
	if got := e.State().Victims(acct, it.T0.Add(s.PayeeMemory-time.Hour)); got != 1 {
		t.Errorf("within memory: Victims = %d, want 1", got)
	}
	if got := e.State().Victims(acct, it.T0.Add(s.PayeeMemory+24*time.Hour)); got != 0 {
		t.Errorf("a day past PayeeMemory (%s): Victims = %d, want 0", s.PayeeMemory, got)
	}
}

func TestPaidBefore(t *testing.T) {
	var during []bool
	e := testEngine(t, intercept.DefaultSettings(), func(st *intercept.State, ev *intercept.Event, _ *intercept.Outcome) {
		during = append(during, st.PaidBefore(ev.PayerAccount, ev.PayeeAccount, ev.At))
	})
	decide(t, e, it.Transfer("t-1", it.T0, payer, payerPhone, payee, 100))
	decide(t, e, it.Transfer("t-2", it.T0.Add(time.Hour), payer, payerPhone, payee, 100))
	// The first transfer is to a new payee even while its own rules run.
	if diff := cmp.Diff([]bool{false, true}, during); diff != "" {
		t.Errorf("PaidBefore seen by the rules (-want +got):\n%s", diff)
	}
	st := e.State()
	for _, tt := range []struct {
		name         string
		payer, payee string
		at           time.Time
		want         bool
	}{
		{"after", payer, payee, it.T0.Add(2 * time.Hour), true},
		{"before the first", payer, payee, it.T0.Add(-time.Minute), false},
		{"other payee", payer, "6228480000000003", it.T0.Add(2 * time.Hour), false},
		{"other payer", "6222020000000002", payee, it.T0.Add(2 * time.Hour), false},
		{"reversed", payee, payer, it.T0.Add(2 * time.Hour), false},
	} {
		if got := st.PaidBefore(tt.payer, tt.payee, tt.at); got != tt.want {
			t.Errorf("%s: PaidBefore = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// PaidBefore looks back Settings.PayeeMemory only (its doc comment).
func TestPaidBeforeForgetsAfterPayeeMemory(t *testing.T) {
	s := intercept.DefaultSettings()
	e := testEngine(t, s, nil)
	decide(t, e, it.Transfer("t-1", it.T0, payer, payerPhone, payee, 100))
	if !e.State().PaidBefore(payer, payee, it.T0.Add(s.PayeeMemory-time.Hour)) {
		t.Error("within memory: PaidBefore = false, want true")
	}
	if e.State().PaidBefore(payer, payee, it.T0.Add(s.PayeeMemory+24*time.Hour)) {
		t.Errorf("a day past PayeeMemory (%s): PaidBefore = true, want false", s.PayeeMemory)
	}
}

func TestStateHorizon(t *testing.T) {
	s := intercept.DefaultSettings()
	s.WindowHorizon = 37 * time.Minute
	if got := testEngine(t, s, nil).State().Horizon(); got != 37*time.Minute {
		t.Errorf("Horizon = %s, want 37m", got)
	}
}
