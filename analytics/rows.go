package analytics

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/lanjie/lanjie/intercept"
)

// table is a history table and the columns the shipper writes, in order. Inserts
// always name their columns (18.16 refuses a batch without them).
type table struct {
	name string
	cols string
}

var (
	tEvents = &table{"events", "seq, logged, id, kind, at, at_ms, bank, payer_account, payer_phone, payee_account, payee_bank, " +
		"amount_fen, payer_balance_fen, has_balance, channel, operator, caller, callee, duration_s, origin, text, " +
		"reporter_phone, fraud_type, suspect_numbers, suspect_accounts, suspect_banks, amount_lost_fen, narrative, " +
		"payee_name, suspect_names, suspect_amounts_fen, suspect_paid_at"}
	tDecisions = &table{"decisions", "seq, logged, event_id, kind, at, score, level, rules, rule_scores, rule_why, " +
		"shadow_rules, errors, action_types, action_targets, action_ids, latency_us"}
	tOrders = &table{"orders", "seq, logged, order_id, type, status, at, org, account, phone, amount_fen, event_id, " +
		"rule, issuer, reason, reference, parent"}
	tLists    = &table{"list_changes", "seq, logged, op, target, list, value, prefix, reason, source, who, expires"}
	tWarnings = &table{"warnings", "seq, logged, task_id, phone, tier, status, channel, at, event_id, template, error_code"}
	tAudit    = &table{"audit", "seq, logged, at, who, role, action, target, detail, remote"}
	tRules    = &table{"rule_changes", "seq, logged, rule_id, version, mode, weight, expr, who"}
	tCases    = &table{"case_changes", "seq, logged, case_id, op, at, who, status, assignee, text, events, orders"}
	tAppeals  = &table{"appeals", "seq, logged, appeal_id, order_id, op, at, who, appellant, statement, outcome, grounds"}

	tables = []*table{tEvents, tDecisions, tOrders, tLists, tWarnings, tAudit, tRules, tCases, tAppeals}
)

// row is one table row with the seq and month it belongs to.
type row struct {
	t     *table
	seq   uint64
	month int // yyyymm of logged: inserts never span two
	vals  []any
}

func yyyymm(t time.Time) int { return t.UTC().Year()*100 + int(t.UTC().Month()) }

// maxDateTime is the last second a DateTime holds (unsigned 32-bit seconds); later
// times wrap around silently on the server.
var maxDateTime = time.Date(2105, 12, 31, 23, 59, 59, 0, time.UTC)

// ts is a DateTime value: whole seconds, UTC, clamped to 1970..2105 (18.16 and
// current servers both store DateTime as unsigned 32-bit seconds).
func ts(t time.Time) time.Time {
	switch {
	case t.Unix() < 0:
		return time.Unix(0, 0).UTC()
	case t.After(maxDateTime):
		return maxDateTime
	}
	return t.UTC().Truncate(time.Second)
}

// rowsOf turns one journal record into the rows it adds to history. An error means
// the record cannot be read; it is a bug to be logged, not a reason to stop shipping.
func rowsOf(r intercept.Record, out []row) ([]row, error) {
	add := func(t *table, vals ...any) {
		out = append(out, row{t: t, seq: r.Seq, month: yyyymm(r.At), vals: append([]any{r.Seq, ts(r.At)}, vals...)})
	}
	switch r.Type {
	case intercept.RecDecided:
		var dr intercept.DecidedRecord
		if err := json.Unmarshal(r.Data, &dr); err != nil {
			return out, fmt.Errorf("record %d: %w", r.Seq, err)
		}
		if dr.Decision == nil {
			return out, fmt.Errorf("record %d: decided record without a decision", r.Seq)
		}
		ev, d := &dr.Event, dr.Decision
		n := len(ev.SuspectAccounts)
		banks, accts, names := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		amounts, paidAt := make([]int64, 0, n), make([]time.Time, 0, n)
		for _, a := range ev.SuspectAccounts {
			banks, accts, names = append(banks, a.Bank), append(accts, a.Account), append(names, a.Name)
			amounts, paidAt = append(amounts, int64(a.Amount)), append(paidAt, ts(a.At)) // 1970 where not known
		}
		add(tEvents, ev.ID, ev.Kind.String(), ts(ev.At), uint16(ev.At.Nanosecond()/1e6), ev.Bank, ev.PayerAccount, ev.PayerPhone,
			ev.PayeeAccount, ev.PayeeBank, int64(ev.Amount), int64(ev.PayerBalance), b2u8(ev.HasBalance), ev.Channel,
			ev.Operator, ev.Caller, ev.Callee, uint32(max(ev.DurationS, 0)), ev.Origin, ev.Text,
			ev.ReporterPhone, ev.FraudType, nonNil(ev.SuspectNumbers), accts, banks, int64(ev.AmountLost), ev.Narrative,
			ev.PayeeName, names, amounts, paidAt)
		rulesHit, scores, whys := []string{}, []int16{}, []string{}
		for _, m := range d.Matched {
			rulesHit, scores, whys = append(rulesHit, m.Rule), append(scores, int16(m.Score)), append(whys, m.Why)
		}
		shadow, errs := []string{}, []string{}
		for _, m := range d.Shadow {
			shadow = append(shadow, m.Rule)
		}
		for _, e := range d.Errors {
			errs = append(errs, e.Rule+": "+e.Error)
		}
		types, targets, ids := []string{}, []string{}, []string{}
		for _, a := range d.Actions {
			types, targets, ids = append(types, string(a.Type)), append(targets, a.Account+a.Phone), append(ids, a.OrderID+a.TaskID)
		}
		add(tDecisions, d.EventID, d.Kind, ts(ev.At), uint8(d.Score), d.Level.String(), rulesHit, scores, whys,
			shadow, errs, types, targets, ids, uint32(min(max(d.LatencyUS, 0), 1<<32-1)))
		if d.CaseID != "" {
			add(tCases, d.CaseID, "opened", ts(r.At), "engine", intercept.CaseOpen, "", ev.FraudType, []string{ev.ID}, nonNil(ids))
		}
		amount := ev.Amount
		if ev.Kind == intercept.KindReport && len(ev.SuspectAccounts) == 1 {
			// A report's loss belongs to its one account; spread over several it would
			// be counted once per account, so those orders carry no amount.
			amount = ev.AmountLost
		} else if ev.Kind == intercept.KindReport {
			amount = 0
		}
		for _, a := range d.Actions {
			switch {
			case a.Existing:
				// the order already in force was recorded when it was issued
			case a.Type == intercept.ActWarn:
				// Issued when journaled, not when the event happened (feeds come late).
				add(tWarnings, a.TaskID, a.Phone, a.Tier, "queued", "", ts(r.At), ev.ID, "", "")
			case a.OrderID != "":
				org, amount := a.Bank, amount
				if org == "" {
					org = a.Operator
				}
				if a.Account != "" {
					_, amount, _ = ev.PaidInto(a.Bank, a.Account)
				}
				add(tOrders, a.OrderID, string(a.Type), "pending", ts(r.At), org, a.Account, a.Phone,
					int64(amount), ev.ID, a.Rule, "engine", "", "", "")
			}
		}
	case intercept.RecOrderStatus:
		var o intercept.OrderStatus
		if err := json.Unmarshal(r.Data, &o); err != nil {
			return out, fmt.Errorf("record %d: %w", r.Seq, err)
		}
		add(tOrders, o.OrderID, string(o.Type), o.Status, ts(o.At), o.Org, o.Account, o.Phone, int64(o.Amount),
			o.EventID, o.Rule, o.Issuer, o.Reason, o.Reference, o.Parent)
	case intercept.RecListChange:
		var c intercept.ListChange
		if err := json.Unmarshal(r.Data, &c); err != nil {
			return out, fmt.Errorf("record %d: %w", r.Seq, err)
		}
		add(tLists, c.Op, c.Target, c.List, c.Entry.Value, b2u8(c.Entry.Prefix), c.Entry.Reason, c.Entry.Source,
			c.Entry.Who, ts(c.Entry.Expires))
	case intercept.RecWarning:
		var w intercept.WarningStatus
		if err := json.Unmarshal(r.Data, &w); err != nil {
			return out, fmt.Errorf("record %d: %w", r.Seq, err)
		}
		add(tWarnings, w.TaskID, w.Phone, w.Tier, w.Status, w.Channel, ts(w.At), w.EventID, w.Template, w.ErrorCode)
	case intercept.RecAudit:
		var a intercept.AuditEntry
		if err := json.Unmarshal(r.Data, &a); err != nil {
			return out, fmt.Errorf("record %d: %w", r.Seq, err)
		}
		add(tAudit, ts(a.At), a.Who, a.Role, a.Action, a.Target, a.Detail, a.Remote)
	case intercept.RecRuleChange:
		var c intercept.RuleChange
		if err := json.Unmarshal(r.Data, &c); err != nil {
			return out, fmt.Errorf("record %d: %w", r.Seq, err)
		}
		add(tRules, c.ID, uint32(max(c.Version, 0)), c.Mode, int16(c.Weight), c.Expr, c.Who)
	case intercept.RecCase:
		var c intercept.CaseChange
		if err := json.Unmarshal(r.Data, &c); err != nil {
			return out, fmt.Errorf("record %d: %w", r.Seq, err)
		}
		add(tCases, c.CaseID, c.Op, ts(c.At), c.Who, c.Status, c.Assignee, c.Text, nonNil(c.Events), nonNil(c.Orders))
	case intercept.RecAppeal:
		var a intercept.AppealChange
		if err := json.Unmarshal(r.Data, &a); err != nil {
			return out, fmt.Errorf("record %d: %w", r.Seq, err)
		}
		add(tAppeals, a.AppealID, a.OrderID, a.Op, ts(a.At), a.Who, a.Appellant, a.Statement, a.Outcome, a.Grounds)
	default:
		return out, fmt.Errorf("record %d: unknown type %d", r.Seq, r.Type)
	}
	return out, nil
}

func b2u8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
