package analytics

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lanjie/lanjie/intercept"
)

// The desk's analytics. Every query reads a half-open period [from, to) of one time
// column (named in each method's comment) and returns its rows in a fixed order.
//
// Common rules, so that the numbers hold on ClickHouse 18.16 and on current servers:
//
//   - Times in history are whole UTC seconds. from and to are rounded up to the next
//     whole second (a no-op for whole seconds), so a row stamped exactly at from is
//     in the period and one stamped exactly at to is not. to before from is an error;
//     from == to is an empty period.
//   - An event or decision recorded twice under one id counts once (its first row by
//     journal seq): LIMIT 1 BY id.
//   - Orders and warning tasks are status-change rows. The order- and task-level
//     queries first fold each order (task) into one row by order_id (task_id) with
//     argMinIf/countIf over all its rows, then aggregate: no JOINs, no CTEs, no window
//     functions. An order's org, type, rule and creation time come from its first
//     "pending" row; a task's tier and queue time from its first "queued" row.
//   - Money stays integer fen (intercept.Fen); counts are uint64; quantiles and rates
//     are float64.

// DayLosses is the money stopped on one UTC day.
type DayLosses struct {
	Day    time.Time     // 00:00 UTC of the day
	Orders uint64        // stop_payment and freeze_request orders executed that day
	Amount intercept.Fen // their amount
}

// OrgOrders is what became of the orders of one type sent to one bank or operator.
type OrgOrders struct {
	Org      string // bank or operator
	Type     string // stop_payment, freeze_request, cutoff
	Created  uint64 // orders created in the period
	Executed uint64 // of those, how many have an "executed" row (so far)
	Rejected uint64 // ... a "rejected" row
	Released uint64 // ... a "released" row
	// Time to execute in seconds (first executed row minus first pending row) over
	// the executed ones: quantileExact, i.e. the value at position floor(level·n) of
	// the sorted times, no interpolation. 0 when none was executed.
	ExecP50 float64
	ExecP90 float64
}

// FraudTypeCount is the reports of one fraud type.
type FraudTypeCount struct {
	FraudType  string
	Reports    uint64
	AmountLost intercept.Fen
}

// Reported is a suspect number or account named in victims' reports.
type Reported struct {
	Target    string   // "account" or "number"
	Value     string   // the account or the phone number
	Banks     []string // accounts: the banks reports named with it, sorted; nil for numbers
	Reports   uint64   // reports naming it
	Reporters uint64   // distinct reporter phones among them
}

// MuleAccount is a payee account that received money from several victims.
type MuleAccount struct {
	Bank      string // payee_bank
	Account   string // payee_account
	Victims   uint64 // distinct payers (bank, payer_account)
	Transfers uint64
	Amount    intercept.Fen
}

// RuleHit is how often a rule matched decisions of one level.
type RuleHit struct {
	Rule   string
	Level  string // the decision's level: green, yellow, orange, red
	Hits   uint64 // decisions the rule matched as a live rule
	Shadow uint64 // decisions the rule matched as a shadow rule
}

// RuleFalsePositives is how many of a rule's orders were released on appeal.
type RuleFalsePositives struct {
	Rule     string
	Orders   uint64  // targets the rule put an order on in the period: order chains (an order, its renewals, its freeze), each once
	Appealed uint64  // of those, how many have an order with a "released" row whose reason starts with "appeal"
	Rate     float64 // Appealed / Orders; 0 when Orders is 0
}

// WarningTier is what became of the warning tasks of one tier.
type WarningTier struct {
	Tier      string // low, medium, high
	Queued    uint64 // tasks queued in the period
	Sent      uint64 // of those, how many have a "sent" row (so far)
	Delivered uint64 // ... a "delivered" row
	Failed    uint64 // ... a "failed" or an "undelivered" row
	OptedOut  uint64 // ... an "opted_out" row
}

// period returns from and to as DateTime seconds for `toDateTime(?)`, both rounded up
// to a whole second (history holds whole seconds, so at >= from and at < to keep their
// meaning) and clamped to what a DateTime holds.
func period(from, to time.Time) (uint32, uint32, error) {
	if to.Before(from) {
		return 0, 0, fmt.Errorf("period [%s, %s): to is before from", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return dtSeconds(from), dtSeconds(to), nil
}

func dtSeconds(t time.Time) uint32 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return uint32(min(max(s, 0), math.MaxUint32))
}

// collect runs q and scans each row with scan; errors name what.
func collect[T any](ctx context.Context, s *Store, what, q string, scan func(driver.Rows) (T, error), args ...any) ([]T, error) {
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: scan: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// orderFoldWhere folds every order with a row of status `status` in the period into one row
// by order_id; callers add the columns they need after "order_id,".
const orderFoldWhere = `FROM orders
		WHERE order_id IN (SELECT order_id FROM orders WHERE status = ? AND at >= toDateTime(?) AND at < toDateTime(?))
		GROUP BY order_id`

const qLossesStopped = `
SELECT toInt64(intDiv(toUInt32(exec_at), 86400)) AS day,
	toUInt64(count()) AS n,
	toInt64(sum(if(exec_fen != 0, exec_fen, created_fen))) AS fen
FROM (
	SELECT order_id,
		argMinIf(type, seq, type != '') AS o_type,
		argMinIf(at, seq, status = 'executed') AS exec_at,
		argMinIf(amount_fen, seq, status = 'executed') AS exec_fen,
		argMinIf(amount_fen, seq, status = 'pending') AS created_fen,
		argMinIf(parent, seq, status = 'pending') AS o_parent
	` + orderFoldWhere + `
)
WHERE exec_at >= toDateTime(?) AND exec_at < toDateTime(?)
	AND o_type IN ('stop_payment', 'freeze_request')
	AND (o_parent = '' OR o_parent NOT IN (SELECT order_id FROM orders WHERE status = 'executed'))
GROUP BY day
ORDER BY day`

// LossesStopped returns, per UTC day, the stop_payment and freeze_request orders that
// reached "executed" in the period (the time of their first executed row in journal
// order: a repeated callback counts neither twice nor later) and the sum of their
// amounts, earliest day first; days without any are absent. The amount of an order is
// the one its executed row carries (what the bank reports it stopped), or, when that
// row carries none, the amount the order was created with. A stop's renewal holds the
// same money for longer: it is not counted again, unless the stop it renews was never
// executed. (Rows shipped before the orders table had a parent count renewals too.)
func (s *Store) LossesStopped(ctx context.Context, from, to time.Time) ([]DayLosses, error) {
	f, t, err := period(from, to)
	if err != nil {
		return nil, fmt.Errorf("losses stopped: %w", err)
	}
	return collect(ctx, s, "losses stopped", qLossesStopped, func(r driver.Rows) (DayLosses, error) {
		var day, fen int64
		var v DayLosses
		err := r.Scan(&day, &v.Orders, &fen)
		v.Day, v.Amount = time.Unix(day*86400, 0).UTC(), intercept.Fen(fen)
		return v, err
	}, "executed", f, t, f, t)
}

const qOrdersByOrg = `
SELECT o_org, o_type,
	toUInt64(count()) AS created,
	toUInt64(countIf(n_exec > 0)) AS executed,
	toUInt64(countIf(n_rej > 0)) AS rejected,
	toUInt64(countIf(n_rel > 0)) AS released,
	arrayMap(x -> toFloat64(x), quantilesExactIf(0.5, 0.9)(toInt64(toUInt32(exec_at)) - toInt64(toUInt32(created_at)), n_exec > 0)) AS tte
FROM (
	SELECT order_id,
		argMinIf(org, seq, status = 'pending') AS o_org,
		argMinIf(type, seq, status = 'pending') AS o_type,
		argMinIf(at, seq, status = 'pending') AS created_at,
		argMinIf(at, seq, status = 'executed') AS exec_at,
		countIf(status = 'executed') AS n_exec,
		countIf(status = 'rejected') AS n_rej,
		countIf(status = 'released') AS n_rel
	` + orderFoldWhere + `
	HAVING created_at >= toDateTime(?) AND created_at < toDateTime(?)
)
GROUP BY o_org, o_type
ORDER BY o_org, o_type`

// OrdersByOrg returns, per org (bank or operator) and order type, the orders created
// (first "pending" row) in the period and what has become of them so far: how many
// have an executed, a rejected, a released row (an order executed and later released
// counts in both), and the p50 and p90 time to execute. A renewal is an order of its
// own here (the bank has to execute it too). Ordered by org, then type.
func (s *Store) OrdersByOrg(ctx context.Context, from, to time.Time) ([]OrgOrders, error) {
	f, t, err := period(from, to)
	if err != nil {
		return nil, fmt.Errorf("orders by org: %w", err)
	}
	return collect(ctx, s, "orders by org", qOrdersByOrg, func(r driver.Rows) (OrgOrders, error) {
		var v OrgOrders
		var q []float64
		if err := r.Scan(&v.Org, &v.Type, &v.Created, &v.Executed, &v.Rejected, &v.Released, &q); err != nil {
			return v, err
		}
		if len(q) != 2 {
			return v, fmt.Errorf("%d quantiles, want 2", len(q))
		}
		if v.Executed > 0 {
			v.ExecP50, v.ExecP90 = finite(q[0]), finite(q[1])
		}
		return v, nil
	}, "pending", f, t, f, t)
}

func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// reportsIn is the report events of the period, each id once.
const reportsIn = `(
	SELECT id, reporter_phone, fraud_type, amount_lost_fen, suspect_numbers, suspect_accounts, suspect_banks
	FROM events
	WHERE kind = 'report' AND at >= toDateTime(?) AND at < toDateTime(?)
	ORDER BY seq
	LIMIT 1 BY id
)`

const qFraudTypes = `
SELECT fraud_type, toUInt64(count()) AS reports, toInt64(sum(amount_lost_fen)) AS lost
FROM ` + reportsIn + `
GROUP BY fraud_type
ORDER BY reports DESC, fraud_type`

// FraudTypes returns, per fraud type, the reports received in the period (by the
// report's time) and the amount their victims said they lost; most reports first,
// then by fraud type.
func (s *Store) FraudTypes(ctx context.Context, from, to time.Time) ([]FraudTypeCount, error) {
	f, t, err := period(from, to)
	if err != nil {
		return nil, fmt.Errorf("fraud types: %w", err)
	}
	return collect(ctx, s, "fraud types", qFraudTypes, func(r driver.Rows) (FraudTypeCount, error) {
		var v FraudTypeCount
		var lost int64
		err := r.Scan(&v.FraudType, &v.Reports, &lost)
		v.AmountLost = intercept.Fen(lost)
		return v, err
	}, f, t)
}

const qTopReported = `
SELECT s_target, s_value,
	arraySort(groupUniqArrayIf(s_bank, s_bank != '')) AS banks,
	toUInt64(uniqExact(id)) AS reports,
	toUInt64(uniqExact(reporter_phone)) AS reporters
FROM (
	SELECT id, reporter_phone,
		arrayJoin(arrayConcat(
			arrayMap(x -> ('number', x, ''), suspect_numbers),
			arrayMap((a, b) -> ('account', a, b), suspect_accounts, suspect_banks))) AS suspect,
		tupleElement(suspect, 1) AS s_target,
		tupleElement(suspect, 2) AS s_value,
		tupleElement(suspect, 3) AS s_bank
	FROM ` + reportsIn + `
)
WHERE s_value != ''
GROUP BY s_target, s_value
ORDER BY s_target, reports DESC, reporters DESC, s_value
LIMIT ? BY s_target`

// TopReported returns the n suspect accounts and the n suspect numbers most named in
// the period's reports (by the report's time): accounts first, then numbers; within
// each, most reports first, then most distinct reporters, then by value. An account
// is its number whatever bank reports name with it (Banks lists those). n < 1 gives
// nothing.
func (s *Store) TopReported(ctx context.Context, from, to time.Time, n int) ([]Reported, error) {
	f, t, err := period(from, to)
	if err != nil {
		return nil, fmt.Errorf("top reported: %w", err)
	}
	if n < 1 {
		return nil, nil
	}
	return collect(ctx, s, "top reported", qTopReported, func(r driver.Rows) (Reported, error) {
		var v Reported
		err := r.Scan(&v.Target, &v.Value, &v.Banks, &v.Reports, &v.Reporters)
		if len(v.Banks) == 0 {
			v.Banks = nil
		}
		return v, err
	}, f, t, uint64(n))
}

const qMuleAccounts = `
SELECT payee_bank, payee_account,
	toUInt64(uniqExact(bank, payer_account)) AS victims,
	toUInt64(count()) AS transfers,
	toInt64(sum(amount_fen)) AS fen
FROM (
	SELECT id, bank, payer_account, payee_bank, payee_account, amount_fen
	FROM events
	WHERE kind = 'transfer' AND at >= toDateTime(?) AND at < toDateTime(?)
		AND id IN (
			SELECT event_id FROM decisions
			WHERE level IN ('orange', 'red') AND at >= toDateTime(?) AND at < toDateTime(?))
	ORDER BY seq
	LIMIT 1 BY id
)
GROUP BY payee_bank, payee_account
HAVING victims >= ?
ORDER BY victims DESC, transfers DESC, fen DESC, payee_bank, payee_account`

// MuleAccounts returns the payee accounts (bank and account) that, in the period's
// transfers (by the transfer's time) the engine scored orange or red, received money
// from at least minVictims distinct payers; with the transfers and their sum. Most
// victims first, then most transfers, most money, bank, account. minVictims below 1
// counts as 1.
func (s *Store) MuleAccounts(ctx context.Context, from, to time.Time, minVictims int) ([]MuleAccount, error) {
	f, t, err := period(from, to)
	if err != nil {
		return nil, fmt.Errorf("mule accounts: %w", err)
	}
	return collect(ctx, s, "mule accounts", qMuleAccounts, func(r driver.Rows) (MuleAccount, error) {
		var v MuleAccount
		var fen int64
		err := r.Scan(&v.Bank, &v.Account, &v.Victims, &v.Transfers, &fen)
		v.Amount = intercept.Fen(fen)
		return v, err
	}, f, t, f, t, uint64(max(minVictims, 1)))
}

const qRuleHits = `
SELECT h_rule, level,
	toUInt64(countIf(h_shadow = 0)) AS hits,
	toUInt64(countIf(h_shadow = 1)) AS shadow_hits
FROM (
	SELECT level,
		arrayJoin(arrayConcat(
			arrayMap(r -> (r, toUInt8(0)), arrayDistinct(rules)),
			arrayMap(r -> (r, toUInt8(1)), arrayDistinct(shadow_rules)))) AS hit,
		tupleElement(hit, 1) AS h_rule,
		tupleElement(hit, 2) AS h_shadow
	FROM (
		SELECT level, rules, shadow_rules
		FROM decisions
		WHERE at >= toDateTime(?) AND at < toDateTime(?)
		ORDER BY seq
		LIMIT 1 BY event_id
	)
)
GROUP BY h_rule, level
ORDER BY h_rule, indexOf(['red', 'orange', 'yellow', 'green'], level) DESC, level`

// RuleHits returns, per rule and decision level, how many of the period's decisions
// (by the event's time) the rule matched as a live rule and as a shadow rule. A rule
// that changed mode in the period has both counts. Ordered by rule, then level green,
// yellow, orange, red.
func (s *Store) RuleHits(ctx context.Context, from, to time.Time) ([]RuleHit, error) {
	f, t, err := period(from, to)
	if err != nil {
		return nil, fmt.Errorf("rule hits: %w", err)
	}
	return collect(ctx, s, "rule hits", qRuleHits, func(r driver.Rows) (RuleHit, error) {
		var v RuleHit
		return v, r.Scan(&v.Rule, &v.Level, &v.Hits, &v.Shadow)
	}, f, t)
}

const qFalsePositives = `
SELECT o_rule, toUInt64(count()) AS n, toUInt64(countIf(appeals > 0)) AS appealed
FROM (
	SELECT o_rule, chain,
		countIf(o_parent = '' AND created_at >= toDateTime(?) AND created_at < toDateTime(?)) AS roots,
		sum(n_appeal) AS appeals
	FROM (
		SELECT order_id,
			argMinIf(rule, seq, status = 'pending') AS o_rule,
			argMinIf(parent, seq, status = 'pending') AS o_parent,
			argMinIf(at, seq, status = 'pending') AS created_at,
			argMinIf(event_id, seq, status = 'pending') AS o_event,
			if(o_event = '', order_id,
				concat(o_event, ' ', argMinIf(account, seq, status = 'pending'), argMinIf(phone, seq, status = 'pending'))) AS chain,
			countIf(status = 'released' AND reason LIKE 'appeal%') AS n_appeal
		FROM orders
		WHERE order_id IN (SELECT order_id FROM orders WHERE status = 'pending' AND at >= toDateTime(?))
		GROUP BY order_id
	)
	WHERE o_rule != ''
	GROUP BY o_rule, chain
	HAVING roots > 0
)
GROUP BY o_rule
ORDER BY o_rule`

// FalsePositives returns, per rule, the targets it put an order on in the period and
// how many of those have since been released on appeal, and that share. What one
// event's rule asked for one account or number is one chain, counted once: the order
// it issued (its first "pending" row in the period, naming the rule), with the
// renewals, freeze and reassigned cutoff that follow from it (their parent), created
// in the period or after. A chain is appealed when any of its orders has a "released"
// row whose reason starts with "appeal" (case sensitive). Orders no rule caused are
// left out. Ordered by rule.
func (s *Store) FalsePositives(ctx context.Context, from, to time.Time) ([]RuleFalsePositives, error) {
	f, t, err := period(from, to)
	if err != nil {
		return nil, fmt.Errorf("false positives: %w", err)
	}
	return collect(ctx, s, "false positives", qFalsePositives, func(r driver.Rows) (RuleFalsePositives, error) {
		var v RuleFalsePositives
		if err := r.Scan(&v.Rule, &v.Orders, &v.Appealed); err != nil {
			return v, err
		}
		if v.Orders > 0 {
			v.Rate = float64(v.Appealed) / float64(v.Orders)
		}
		return v, nil
	}, f, t, f)
}

const qWarningStats = `
SELECT w_tier,
	toUInt64(count()) AS queued,
	toUInt64(countIf(n_sent > 0)) AS sent,
	toUInt64(countIf(n_delivered > 0)) AS delivered,
	toUInt64(countIf(n_failed > 0)) AS failed,
	toUInt64(countIf(n_opted_out > 0)) AS opted_out
FROM (
	SELECT task_id,
		argMinIf(tier, seq, status = 'queued') AS w_tier,
		argMinIf(at, seq, status = 'queued') AS queued_at,
		countIf(status = 'sent') AS n_sent,
		countIf(status = 'delivered') AS n_delivered,
		countIf(status IN ('failed', 'undelivered')) AS n_failed,
		countIf(status = 'opted_out') AS n_opted_out
	FROM warnings
	WHERE task_id IN (SELECT task_id FROM warnings WHERE status = 'queued' AND at >= toDateTime(?) AND at < toDateTime(?))
	GROUP BY task_id
	HAVING queued_at >= toDateTime(?) AND queued_at < toDateTime(?)
)
GROUP BY w_tier
ORDER BY indexOf(['high', 'medium', 'low'], w_tier) DESC, w_tier`

// WarningStats returns, per tier, the warning tasks queued in the period (first
// "queued" row) and how many of them have reached each later status so far, counting
// distinct tasks: a task counts under every status it has a row of (sent and then
// delivered counts in both; failed counts failed or undelivered), so the numbers are
// a funnel, not a partition. Ordered low, medium, high, then other tiers by name.
func (s *Store) WarningStats(ctx context.Context, from, to time.Time) ([]WarningTier, error) {
	f, t, err := period(from, to)
	if err != nil {
		return nil, fmt.Errorf("warning stats: %w", err)
	}
	return collect(ctx, s, "warning stats", qWarningStats, func(r driver.Rows) (WarningTier, error) {
		var v WarningTier
		return v, r.Scan(&v.Tier, &v.Queued, &v.Sent, &v.Delivered, &v.Failed, &v.OptedOut)
	}, f, t, f, t)
}
