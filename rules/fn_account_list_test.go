package rules_test

import (
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

func TestAccountList(t *testing.T) {
	base := rule("payee_black", `account_list(payee_account) == "black"`)
	never := time.Time{}
	tr := func(at time.Time, payee string) *intercept.Event {
		return it.Transfer("t-9", at, victimAcct, victim, payee, 5000)
	}
	acct := func(a string, l intercept.List, exp time.Time) func(*testing.T, *intercept.Engine) {
		return func(t *testing.T, e *intercept.Engine) { listAccount(t, e, a, l, exp) }
	}
	runFn(t, base, []fnCase{
		{name: "black", setup: acct(muleAcct, intercept.ListBlack, never), trigger: tr(t0, muleAcct), want: true,
			why: []string{muleAcct + " is black-listed", "entry " + muleAcct, "test reason", "source bank", "by analyst1"}},
		{name: "not listed", trigger: tr(t0, muleAcct)},
		{name: "not listed reads empty", expr: `account_list(payee_account) == ""`, trigger: tr(t0, muleAcct), want: true},
		{name: "payer listed, not payee", setup: acct(victimAcct, intercept.ListBlack, never), trigger: tr(t0, muleAcct)},
		{name: "payer listed", expr: `account_list(payer_account) == "black"`, setup: acct(victimAcct, intercept.ListBlack, never),
			trigger: tr(t0, muleAcct), want: true, why: []string{victimAcct + " is black-listed"}},
		{name: "gray is not black", setup: acct(muleAcct, intercept.ListGray, never), trigger: tr(t0, muleAcct)},
		{name: "gray reads gray", expr: `account_list(payee_account) == "gray"`, setup: acct(muleAcct, intercept.ListGray, never),
			trigger: tr(t0, muleAcct), want: true, why: []string{muleAcct + " is gray-listed"}},
		{name: "white reads white", expr: `account_list(payee_account) == "white"`, setup: acct(muleAcct, intercept.ListWhite, never),
			trigger: tr(t0, muleAcct), want: true, why: []string{muleAcct + " is white-listed"}},
		{name: "a second before expiry", setup: acct(muleAcct, intercept.ListBlack, t0.Add(time.Hour)),
			trigger: tr(t0.Add(time.Hour-time.Second), muleAcct), want: true},
		{name: "expired", setup: acct(muleAcct, intercept.ListBlack, t0.Add(time.Hour)), trigger: tr(t0.Add(time.Hour), muleAcct)},
		{name: "account that is not all digits", setup: acct("MULE-ACCT-01", intercept.ListBlack, never),
			trigger: tr(t0, "MULE-ACCT-01"), want: true, why: []string{"MULE-ACCT-01 is black-listed"}},
		{name: "long account", setup: acct("62284800000000000000000000000000001", intercept.ListBlack, never),
			trigger: tr(t0, "62284800000000000000000000000000001"), want: true},
		{name: "similar account", setup: acct(muleAcct, intercept.ListBlack, never), trigger: tr(t0, mule2Acct)},
		{name: "reported account is black", trigger: tr(t0.Add(time.Minute), muleAcct), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				feed(t, e, it.Report("r-1", t0, victim2, nil, []string{muleAcct}))
			},
			why: []string{muleAcct + " is black-listed", "reported: impersonating_police", "source report", "by r-1"}},
		{name: "white account stays white when reported", expr: `account_list(payee_account) == "white"`,
			trigger: tr(t0.Add(time.Minute), muleAcct), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				listAccount(t, e, muleAcct, intercept.ListWhite, never)
				feed(t, e, it.Report("r-1", t0, victim2, nil, []string{muleAcct}))
			}},
		{name: "removed", trigger: tr(t0, muleAcct),
			setup: func(t *testing.T, e *intercept.Engine) {
				listAccount(t, e, muleAcct, intercept.ListBlack, never)
				if _, err := e.State().Lists.RemoveAccount(muleAcct); err != nil {
					t.Fatal(err)
				}
			}},
	})
}
