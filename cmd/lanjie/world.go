package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/lanjie/lanjie/intercept"
)

// demoWorld is a synthetic city for the demo: lists, customers, and three hours of
// feeds in which scams of several kinds play out among ordinary traffic. Every
// number and account is made up from a seed.
type demoWorld struct {
	rng       *rand.Rand
	start     time.Time
	customers []customer
	black     []string // listed numbers, overseas and virtual
	gray      []string
	mules     []string
	lines     []timedLine
	n         int
}

type customer struct{ phone, account, bank string }

type timedLine struct {
	at   time.Time
	line string
}

var banks = []string{"ICBC", "ABC", "BOC", "CCB", "PSBC"}
var operators = []string{"CMCC", "CU", "CT"}

func newDemoWorld(end time.Time) *demoWorld {
	// Times are Beijing time: rules read the hour of day where the event happened.
	end = end.In(time.FixedZone("CST", 8*3600))
	w := &demoWorld{rng: rand.New(rand.NewPCG(7, 11)), start: end.Add(-3 * time.Hour)}
	for i := range 50000 {
		w.customers = append(w.customers, customer{
			phone:   fmt.Sprintf("+86138%08d", 10000000+i),
			account: fmt.Sprintf("622202%013d", 1000000+i),
			bank:    banks[i%len(banks)],
		})
	}
	for i := range 2000 {
		switch i % 4 {
		case 0:
			w.black = append(w.black, fmt.Sprintf("+855%09d", 100000000+i))
		case 1:
			w.black = append(w.black, fmt.Sprintf("+63%010d", 9000000000+i))
		case 2:
			w.black = append(w.black, fmt.Sprintf("+86170%08d", 20000000+i))
		default:
			w.black = append(w.black, fmt.Sprintf("+86171%08d", 30000000+i))
		}
	}
	for i := range 500 {
		w.gray = append(w.gray, fmt.Sprintf("+86165%08d", 40000000+i))
	}
	for i := range 400 {
		w.mules = append(w.mules, fmt.Sprintf("621700%013d", 5000000+i))
	}
	return w
}

// listEntries are the demo's lists: black and gray numbers, black mule accounts (half
// of them: the rest are new to the desk), official lines on the white list.
func (w *demoWorld) listEntries() (numbers, accounts []intercept.Entry) {
	added := w.start.Add(-7 * 24 * time.Hour)
	for i, n := range w.black {
		numbers = append(numbers, intercept.Entry{Value: n, List: intercept.ListBlack, Reason: []string{"reported scam number", "call centre number", "police notice"}[i%3], Source: "report", Who: "demo", Added: added})
	}
	for _, n := range w.gray {
		numbers = append(numbers, intercept.Entry{Value: n, List: intercept.ListGray, Reason: "suspicious traffic", Source: "operator", Who: "demo", Added: added})
	}
	for _, n := range []string{"+86110", "+8696110", "+8695588", "+8695533", "+8695599", "+8695566", "+8612321", "+8610690000"} {
		numbers = append(numbers, intercept.Entry{Value: n, List: intercept.ListWhite, Reason: "official line", Source: "desk", Who: "demo", Added: added})
	}
	for _, a := range w.mules[:len(w.mules)/2] {
		accounts = append(accounts, intercept.Entry{Value: a, List: intercept.ListBlack, Reason: "mule account", Source: "bank", Who: "demo", Added: added})
	}
	return numbers, accounts
}

func (w *demoWorld) id(prefix string) string {
	w.n++
	return fmt.Sprintf("demo-%s-%d", prefix, w.n)
}

func (w *demoWorld) cust() customer { return w.customers[w.rng.IntN(len(w.customers))] }

func (w *demoWorld) at(t time.Time) string { return t.Format(time.RFC3339) }

func (w *demoWorld) transfer(t time.Time, from customer, payee, payeeBank string, yuan int, balance int) {
	bal := ""
	if balance > 0 {
		bal = fmt.Sprintf(`,"payer_balance":"%d.00"`, balance)
	}
	w.add(t, fmt.Sprintf(`{"id":%q,"kind":"transfer","at":%q,"bank":%q,"payer_account":%q,"payer_phone":%q,"payee_account":%q,"payee_bank":%q,"payee_name":%q,"amount":"%d.00"%s,"channel":"mobile"}`,
		w.id("t"), w.at(t), from.bank, from.account, from.phone, payee, payeeBank, holder(payee), yuan, bal))
}

func (w *demoWorld) forward(t time.Time, from, fromBank, to string, yuan int) {
	w.add(t, fmt.Sprintf(`{"id":%q,"kind":"transfer","at":%q,"bank":%q,"payer_account":%q,"payee_account":%q,"payee_bank":"PSBC","payee_name":%q,"amount":"%d.00","channel":"online"}`,
		w.id("t"), w.at(t), fromBank, from, to, holder(to), yuan))
}

func (w *demoWorld) call(t time.Time, caller, callee, origin string, secs int) {
	o := ""
	if origin != "" {
		o = fmt.Sprintf(`,"origin":%q`, origin)
	}
	w.add(t, fmt.Sprintf(`{"id":%q,"kind":"call","at":%q,"operator":%q,"caller":%q,"callee":%q,"duration_s":%d%s}`,
		w.id("c"), w.at(t), operators[w.rng.IntN(3)], caller, callee, secs, o))
}

func (w *demoWorld) sms(t time.Time, caller, callee, text string) {
	w.add(t, fmt.Sprintf(`{"id":%q,"kind":"sms","at":%q,"operator":%q,"caller":%q,"callee":%q,"text":%q}`,
		w.id("s"), w.at(t), operators[w.rng.IntN(3)], caller, callee, text))
}

func (w *demoWorld) report(t time.Time, reporter, fraud string, numbers []string, account string, lost int) {
	w.add(t, fmt.Sprintf(`{"id":%q,"kind":"report","at":%q,"reporter_phone":%q,"fraud_type":%q,"suspect_numbers":[%q],"suspect_accounts":[{"bank":"PSBC","account":%q,"name":%q}],"amount_lost":"%d.00","narrative":"synthetic demo report"}`,
		w.id("r"), w.at(t), reporter, fraud, numbers[0], account, holder(account), lost))
}

// holder is the synthetic holder's name of a demo account: 示例户名 and its last four
// digits, so that a stop carries a name the way a real feed's would.
func holder(account string) string { return "示例户名" + account[len(account)-4:] }

func (w *demoWorld) add(t time.Time, line string) { w.lines = append(w.lines, timedLine{t, line}) }

func (w *demoWorld) when() time.Time {
	return w.start.Add(time.Duration(w.rng.Int64N(int64(170 * time.Minute))))
}

// feeds returns the three hours of events, in time order, as JSON lines.
func (w *demoWorld) feeds() [][]byte {
	for range 40000 { // ordinary life
		t := w.when()
		a, b := w.cust(), w.cust()
		switch r := w.rng.IntN(10); {
		case r < 6:
			w.transfer(t, a, b.account, b.bank, 10+int(w.rng.ExpFloat64()*600), 0)
		case r < 9:
			w.call(t, a.phone, b.phone, "", 30+w.rng.IntN(400))
		default:
			w.sms(t, "+8610690000", b.phone, "您的验证码为 482913，5 分钟内有效。")
		}
	}
	for i := range 60 { // impersonating police: a listed overseas call, then the "safe account"
		t, v := w.when(), w.cust()
		caller, mule := w.black[(i*4)%len(w.black)], w.mules[len(w.mules)/2+i%100]
		w.call(t, caller, v.phone, "international_gateway", 600+w.rng.IntN(1200))
		amount := 20000 + w.rng.IntN(80000)
		w.transfer(t.Add(time.Duration(5+w.rng.IntN(15))*time.Minute), v, mule, "PSBC", amount, amount+w.rng.IntN(3000))
		w.forward(t.Add(25*time.Minute), mule, "PSBC", w.mules[w.rng.IntN(len(w.mules))], amount-500)
		if i%3 == 0 {
			w.report(t.Add(50*time.Minute), v.phone, "impersonating_police", []string{caller}, mule, amount)
		}
	}
	for i := range 30 { // a spoofed bank service line from abroad
		t, v := w.when(), w.cust()
		w.call(t, "+8695588", v.phone, "international_gateway", 400)
		w.transfer(t.Add(12*time.Minute), v, w.mules[i%len(w.mules)], "PSBC", 5000+w.rng.IntN(30000), 0)
	}
	for i := range 25 { // investment scam: a link from a virtual range, several victims pay one account
		t, mule := w.when(), w.mules[len(w.mules)/2+100+i]
		for k := range 4 {
			v := w.cust()
			w.sms(t.Add(time.Duration(k)*time.Minute), w.black[(i*4+2)%len(w.black)], v.phone, "【理财】内部渠道稳赚高收益，点击 http://invest.example/vip 立即开户")
			w.transfer(t.Add(time.Duration(10+k*3)*time.Minute), v, mule, "PSBC", 3000+w.rng.IntN(20000), 0)
		}
		if i%2 == 0 {
			w.report(t.Add(time.Hour), w.cust().phone, "investment", []string{w.black[(i*4+2)%len(w.black)]}, mule, 15000)
		}
	}
	for i := range 20 { // part-time click farm: small payments growing to one account
		t, v, mule := w.when(), w.cust(), w.mules[len(w.mules)/2+150+i]
		for k := range 5 {
			w.transfer(t.Add(time.Duration(k*6)*time.Minute), v, mule, "PSBC", 200*(k+1)*(k+1), 0)
		}
		w.report(t.Add(45*time.Minute), v.phone, "part_time_job", []string{w.gray[i]}, mule, 11000)
	}
	for i := range 10 { // a call centre: one overseas number rings many
		t, caller := w.when(), w.black[(i*4+1)%len(w.black)]
		for k := range 30 {
			w.call(t.Add(time.Duration(k*15)*time.Second), caller, w.cust().phone, "international_gateway", 20+w.rng.IntN(60))
		}
	}
	for i := range 20 { // loan scam: a gray-listed number asks for a "fee"
		t, v := w.when(), w.cust()
		w.call(t, w.gray[100+i], v.phone, "", 300)
		w.transfer(t.Add(8*time.Minute), v, w.mules[i], "PSBC", 2000+w.rng.IntN(5000), 0)
		if i%4 == 0 {
			w.report(t.Add(2*time.Hour), v.phone, "loan", []string{w.gray[100+i]}, w.mules[i], 4000)
		}
	}
	slices.SortStableFunc(w.lines, func(a, b timedLine) int { return a.at.Compare(b.at) })
	out := make([][]byte, len(w.lines))
	for i, l := range w.lines {
		out[i] = []byte(l.line)
	}
	return out
}
