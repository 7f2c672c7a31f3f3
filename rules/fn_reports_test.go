package rules_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

// reports() reads the cached risk profile: a miss answers 0 at once and queues a fill,
// so a later decision sees the count. waitFor polls, never assuming how long a fill takes.
func TestReports(t *testing.T) {
	e := engineWith(t, rule("payee_history", `reports(payee_account) >= 2`))
	seq := 0
	transfer := func() *intercept.Decision {
		seq++
		return decide(t, e, it.Transfer(fmt.Sprintf("t-%d", seq), t0.Add(time.Hour), victimAcct, victim, muleAcct, 5000))
	}
	feed(t, e,
		it.Report("r-1", t0, victim2, nil, []string{muleAcct}),
		it.Report("r-2", t0.Add(time.Minute), victim2, nil, []string{muleAcct, mule2Acct}))

	if d := transfer(); findMatch(d.Matched, "payee_history") != nil || len(d.Errors) > 0 {
		t.Fatalf("first decision after the reports: %+v; want no match (the profile is not cached yet)", d)
	}
	m := waitForMatch(t, transfer, "payee_history")
	if want := muleAcct + " reported 2 times in history"; !strings.Contains(m.Why, want) {
		t.Errorf("why %q, want it to say %q", m.Why, want)
	}

	// A new report invalidates the cached profile: the next answer is a miss again
	// (0, no match) and a later one has the new count.
	feed(t, e, it.Report("r-3", t0.Add(2*time.Minute), victim, nil, []string{muleAcct}))
	if d := transfer(); findMatch(d.Matched, "payee_history") != nil {
		t.Errorf("first decision after a new report still used the old profile: %+v", d.Matched)
	}
	m = waitForMatch(t, transfer, "payee_history")
	if want := muleAcct + " reported 3 times in history"; !strings.Contains(m.Why, want) {
		t.Errorf("why %q, want it to say %q", m.Why, want)
	}
}

func TestReportsNeverReported(t *testing.T) {
	e := engineWith(t, rule("payee_history", `reports(payee_account) >= 1`),
		rule("known_clean", `reports(payee_account) == 0`))
	feed(t, e, it.Report("r-1", t0, victim2, nil, []string{mule2Acct}))
	// Wait until muleAcct's profile is cached, then check it says no reports.
	waitFor(t, func() bool { return e.State().Profile(muleAcct).Known })
	d := decide(t, e, it.Transfer("t-1", t0.Add(time.Hour), victimAcct, victim, muleAcct, 5000))
	if findMatch(d.Matched, "payee_history") != nil || findMatch(d.Matched, "known_clean") == nil {
		t.Errorf("payee never reported: matched %+v", d.Matched)
	}
	if m := findMatch(d.Matched, "known_clean"); m != nil && m.Why != "desc known_clean" {
		t.Errorf("a count of 0 is not evidence: why %q", m.Why)
	}
}

// waitForMatch decides with next until rule id matches, for up to 5 seconds.
func waitForMatch(t *testing.T, next func() *intercept.Decision, id string) *intercept.Match {
	t.Helper()
	var m *intercept.Match
	waitFor(t, func() bool {
		d := next()
		if len(d.Errors) > 0 {
			t.Fatalf("rule errors: %+v", d.Errors)
		}
		m = findMatch(d.Matched, id)
		return m != nil
	})
	return m
}

// waitFor polls cond until it holds, failing the test after 5 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
